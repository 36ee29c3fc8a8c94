"""Shared helpers for Benchmarks/churn/run and Benchmarks/soak/run (stdlib only).

- Cluster: a deterministic generated cluster (Services with selectors, Pods with hostname /
  subdomain / IP / Ready) kept as plain Python state, written as JSON List manifests, turned
  into Kubernetes objects for PUTs, and a dnsperf query file in the mix of
  ../shared/bench/gen_queries.py (50% ClusterIP A, 20% headless A, 10% headless SRV,
  10% per-pod A, 10% NXDOMAIN).
- An INDEPENDENT model of the endpoints controller (expected DNS answers from that state),
  written from the Kubernetes rules, not from the server's code.
- A small DNS client (UDP with EDNS, TCP retry on TC) that parses A and SRV answers.
- The admin HTTP client (keep-alive), server start/stop, /metrics histogram percentiles.
"""
import http.client
import ipaddress
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.abspath(os.path.join(ROOT, "..", "shared", "bench"))
sys.path.insert(0, BENCH)
try:
    import bench_util as bu  # noqa: E402,F401  (readiness probe, CPU and memory of a process, dnsperf parser)
except ImportError:          # a clean clone (CI) has no ../shared/bench: the few helpers the soak needs
    bu = None

ZONE = "cluster.local"
SERVICE_BASE = int(ipaddress.ip_address("10.96.0.0"))
POD_BASE = int(ipaddress.ip_address("10.128.0.0"))
TARGET_PORT = 8080
EXTERNAL = ["api.example.io", "www.google.com", "s3.amazonaws.com", "example.com", "db.example.net"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# Cluster state


class Service:
    __slots__ = ("name", "ns", "kind", "ip", "selector")

    def __init__(self, name, ns, kind, ip, selector):
        self.name, self.ns, self.kind, self.ip, self.selector = name, ns, kind, ip, selector

    @property
    def headless(self):
        return self.kind == "headless"

    def copy(self):
        return Service(self.name, self.ns, self.kind, self.ip, dict(self.selector) if self.selector else None)

    def obj(self):
        spec = {"type": "ClusterIP" if self.headless else self.kind,
                "clusterIP": "None" if self.headless else self.ip,
                "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": TARGET_PORT}]}
        if self.selector is not None:
            spec["selector"] = self.selector
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": self.name, "namespace": self.ns},
                "spec": spec}

    def fqdn(self):
        return "%s.%s.svc.%s" % (self.name, self.ns, ZONE)


class Pod:
    __slots__ = ("name", "ns", "app", "hostname", "subdomain", "ip", "ready", "terminating", "phase")

    def __init__(self, name, ns, app, hostname, subdomain, ip, ready=True, terminating=False, phase="Running"):
        self.name, self.ns, self.app, self.hostname, self.subdomain = name, ns, app, hostname, subdomain
        self.ip, self.ready, self.terminating, self.phase = ip, ready, terminating, phase

    def copy(self):
        return Pod(self.name, self.ns, self.app, self.hostname, self.subdomain, self.ip, self.ready,
                   self.terminating, self.phase)

    def obj(self):
        meta = {"name": self.name, "namespace": self.ns, "labels": {"app": self.app}}
        if self.terminating:
            meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
        spec = {"containers": [{"name": "app", "image": "app", "ports": [{"name": "http", "containerPort": TARGET_PORT}]}]}
        if self.hostname:
            spec["hostname"] = self.hostname
        if self.subdomain:
            spec["subdomain"] = self.subdomain
        status = {"phase": self.phase, "conditions": [{"type": "Ready", "status": "True" if self.ready else "False"}]}
        if self.ip:
            status["podIP"] = self.ip
            status["podIPs"] = [{"ip": self.ip}]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


class Cluster:
    """SERVICES services over NAMESPACES namespaces, PODS pods spread evenly over the services
    (pod j of service S: name S-j, labels app=S, hostname pod-j, subdomain S, Ready).
    A HEADLESS fraction of the services is headless, the rest ClusterIP; all select app=<name>."""

    def __init__(self, services, pods, namespaces, headless=0.2):
        self.namespaces = ["ns-%03d" % i for i in range(namespaces)]
        self.services = {}      # (ns, name) -> Service
        self.pods = {}          # (ns, name) -> Pod
        self.by_app = {}        # (ns, app) -> set(pod name)
        self.by_ns = {}         # ns -> set(pod name)
        self.svc_order = []
        self._ip = POD_BASE
        self._ip_lock = threading.Lock()
        self._name = 0
        per = max(1, pods // max(1, services))
        extra = pods - per * services
        step = int(round(1.0 / headless)) if headless > 0 else 0   # every step-th service is headless
        for i in range(services):
            ns = self.namespaces[i % namespaces]
            name = "svc-%05d" % i
            kind = "headless" if step and i % step == step - 1 else "ClusterIP"
            svc = Service(name, ns, kind, str(ipaddress.ip_address(SERVICE_BASE + 11 + i)), {"app": name})
            self.services[(ns, name)] = svc
            self.svc_order.append((ns, name))
            n = per + (1 if i < extra else 0)
            for j in range(n):
                self.add_pod(Pod("%s-%d" % (name, j), ns, name, "pod-%d" % j, name, self.new_ip()))
        self.headless_keys = [k for k in self.svc_order if self.services[k].headless]
        self.clusterip_keys = [k for k in self.svc_order if not self.services[k].headless]

    def new_ip(self):
        with self._ip_lock:
            self._ip += 1
            return str(ipaddress.ip_address(self._ip))

    def add_pod(self, pod):
        self.pods[(pod.ns, pod.name)] = pod
        self.by_app.setdefault((pod.ns, pod.app), set()).add(pod.name)
        self.by_ns.setdefault(pod.ns, set()).add(pod.name)

    def remove_pod(self, ns, name):
        pod = self.pods.pop((ns, name), None)
        if pod:
            self.by_app.get((ns, pod.app), set()).discard(name)
            self.by_ns.get(ns, set()).discard(name)
        return pod

    # -- the independent endpoints-controller model ------------------------------------------

    def selected(self, svc):
        """Pods of the service's namespace its selector matches (empty/absent selector: none)."""
        sel = svc.selector
        if not sel:
            return []
        names = self.by_app.get((svc.ns, sel.get("app")), ()) if "app" in sel else self.by_ns.get(svc.ns, ())
        out = []
        for n in names:
            p = self.pods.get((svc.ns, n))
            if p and all({"app": p.app}.get(k) == v for k, v in sel.items()):
                out.append(p)
        return out

    def ready_endpoints(self, svc):
        """[(ip, label)] of the ready endpoints: selected pods that have an IP, are not terminal,
        are Ready and not terminating; the label is spec.hostname when spec.subdomain is the
        service's name, else the dashed address."""
        eps = []
        for p in self.selected(svc):
            if not p.ip or p.phase in ("Succeeded", "Failed") or not p.ready or p.terminating:
                continue
            label = p.hostname if (p.hostname and p.subdomain == svc.name) else p.ip.replace(".", "-")
            eps.append((p.ip, label.lower()))
        return eps

    def expect_service_a(self, svc):
        """('NXDOMAIN', None) or ('NOERROR', frozenset of IPs)."""
        if svc is None:
            return ("NXDOMAIN", None)
        if not svc.headless:
            return ("NOERROR", frozenset([svc.ip]))
        eps = self.ready_endpoints(svc)
        return ("NXDOMAIN", None) if not eps else ("NOERROR", frozenset(ip for ip, _ in eps))

    def expect_endpoint_a(self, svc, label):
        if svc is None:
            return ("NXDOMAIN", None)
        ips = frozenset(ip for ip, l in self.ready_endpoints(svc) if l == label)
        return ("NXDOMAIN", None) if not ips else ("NOERROR", ips)

    def expect_srv(self, svc):
        """_http._tcp.SVC: ClusterIP -> one target (the service, port 80); headless -> one per ready
        endpoint (its name, the target port), weight floor(100/N); none ready -> NXDOMAIN."""
        if svc is None:
            return ("NXDOMAIN", None)
        if not svc.headless:
            return ("NOERROR", frozenset([(100, 80, svc.fqdn())]))
        eps = self.ready_endpoints(svc)
        if not eps:
            return ("NXDOMAIN", None)
        targets = set((TARGET_PORT, "%s.%s" % (label, svc.fqdn())) for _, label in eps)
        w = max(1, 100 // len(targets))
        return ("NOERROR", frozenset((w, port, t) for port, t in targets))

    # -- output ---------------------------------------------------------------------------------

    def write_manifests(self, out, per_file=10000):
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "services.json"), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": [self.services[k].obj() for k in self.svc_order]}, f)
        pods = list(self.pods.values())
        for i in range(0, len(pods), per_file):
            with open(os.path.join(out, "pods-%03d.json" % (i // per_file)), "w") as f:
                json.dump({"apiVersion": "v1", "kind": "List", "items": [p.obj() for p in pods[i:i + per_file]]}, f)

    def write_queries(self, path, count=200000, seed=42):
        """The gen_queries.py mix over this cluster (per-pod names of headless services' pods)."""
        rnd = random.Random(seed)
        cip = self.clusterip_keys or self.headless_keys
        hl = self.headless_keys or cip
        pods = [p for p in self.pods.values() if self.services.get((p.ns, p.subdomain)) is not None
                and self.services[(p.ns, p.subdomain)].headless] or list(self.pods.values())
        with open(path, "w") as f:
            for _ in range(count):
                r = rnd.random()
                if r < 0.5:
                    s = self.services[rnd.choice(cip)]
                    f.write("%s. A\n" % s.fqdn())
                elif r < 0.7:
                    f.write("%s. A\n" % self.services[rnd.choice(hl)].fqdn())
                elif r < 0.8:
                    f.write("_http._tcp.%s. SRV\n" % self.services[rnd.choice(hl)].fqdn())
                elif r < 0.9:
                    p = rnd.choice(pods)
                    f.write("%s.%s.%s.svc.%s. A\n" % (p.hostname, p.subdomain, p.ns, ZONE))
                else:
                    ns = rnd.choice(self.namespaces)
                    k = rnd.randrange(3)
                    if k == 0:
                        f.write("%s.%s.svc.%s. A\n" % (rnd.choice(EXTERNAL), ns, ZONE))
                    elif k == 1:
                        f.write("%s.svc.%s. A\n" % (rnd.choice(EXTERNAL), ZONE))
                    else:
                        f.write("missing-%05d.%s.svc.%s. A\n" % (rnd.randrange(100000), ns, ZONE))


# ----------------------------------------------------------------------------------------------
# DNS client

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def build_query(name, qtype, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", qtype, 1)
    return q + b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 0)   # OPT, 1232-byte payload


def read_name(data, off):
    labels, jumped, end = [], False, off
    for _ in range(128):
        n = data[off]
        if n == 0:
            off += 1
            break
        if n & 0xC0 == 0xC0:
            ptr = ((n & 0x3F) << 8) | data[off + 1]
            if not jumped:
                end = off + 2
            jumped, off = True, ptr
            continue
        labels.append(data[off + 1:off + 1 + n].decode("ascii", "replace").lower())
        off += 1 + n
    return ".".join(labels), (end if jumped else off)


def parse_response(data):
    """(qid, rcode name, tc, answers) with answers a list of (type, value): A -> 'ip',
    SRV -> (weight, port, target)."""
    qid, flags, qd, an = struct.unpack(">HHHH", data[:8])
    off = 12
    for _ in range(qd):
        _, off = read_name(data, off)
        off += 4
    answers = []
    for _ in range(an):
        _, off = read_name(data, off)
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", data[off:off + 10])
        off += 10
        rd = data[off:off + rdlen]
        if rtype == 1:
            answers.append((1, socket.inet_ntoa(rd)))
        elif rtype == 33:
            _prio, w, port = struct.unpack(">HHH", rd[:6])
            target, _ = read_name(data, off + 6)
            answers.append((33, (w, port, target)))
        else:
            answers.append((rtype, rd))
        off += rdlen
    return qid, RCODES.get(flags & 0xF, str(flags & 0xF)), bool(flags & 0x0200), answers


class Resolver:
    """One UDP socket (per thread); TCP when the answer is truncated."""

    def __init__(self, port, host="127.0.0.1", timeout=1.0):
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.timeout = timeout

    def query(self, name, qtype=1, tries=3):
        """(rcode, answers) or ('TIMEOUT', None)."""
        for _ in range(tries):
            qid = random.randrange(65536)
            self.sock.sendto(build_query(name, qtype, qid), self.addr)
            deadline = time.time() + self.timeout
            while time.time() < deadline:
                try:
                    data, _ = self.sock.recvfrom(65535)
                except socket.timeout:
                    break
                if len(data) < 12 or struct.unpack(">H", data[:2])[0] != qid:
                    continue
                rid, rcode, tc, answers = parse_response(data)
                if tc:
                    return self.query_tcp(name, qtype)
                return rcode, answers
        return "TIMEOUT", None

    def query_tcp(self, name, qtype):
        qid = random.randrange(65536)
        q = build_query(name, qtype, qid)
        with socket.create_connection(self.addr, timeout=self.timeout * 3) as s:
            s.sendall(struct.pack(">H", len(q)) + q)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                chunk = s.recv(65535)
                if not chunk:
                    return "TIMEOUT", None
                buf += chunk
        _, rcode, _, answers = parse_response(buf[2:])
        return rcode, answers


def observed_a(result):
    rcode, answers = result
    if rcode != "NOERROR":
        return (rcode, None)
    return (rcode, frozenset(v for t, v in answers if t == 1))


def observed_srv(result):
    rcode, answers = result
    if rcode != "NOERROR":
        return (rcode, None)
    return (rcode, frozenset(v for t, v in answers if t == 33))


# ----------------------------------------------------------------------------------------------
# Admin API client


class Admin:
    """One keep-alive HTTP connection to the admin API."""

    def __init__(self, port, host="127.0.0.1", timeout=30):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = None

    def request(self, method, path, body=None):
        """(status, parsed JSON or text). Reconnects once on a dropped keep-alive connection."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                try:
                    return resp.status, json.loads(raw) if raw[:1] in (b"{", b"[") else raw.decode("utf-8", "replace")
                except ValueError:
                    return resp.status, raw.decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as e:
                if self.conn:
                    self.conn.close()
                self.conn = None
                if attempt == 1 or method not in ("GET", "PUT") or isinstance(e, socket.timeout):
                    raise OSError("%s %s: %r" % (method, path, e))
        raise RuntimeError("unreachable")


def pod_path(ns, name):
    return "/api/v1/namespaces/%s/pods/%s" % (ns, name)


def service_path(ns, name):
    return "/api/v1/namespaces/%s/services/%s" % (ns, name)


# ----------------------------------------------------------------------------------------------
# Server


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port")


def binary():
    """BINARY, else .build/release/clusterdns (built when missing)."""
    b = os.environ.get("BINARY")
    if b:
        b = os.path.abspath(b)
        if not os.access(b, os.X_OK):
            sys.exit("BINARY=%s is not an executable" % b)
        return b
    b = os.path.join(ROOT, ".build", "release", "clusterdns")
    if not os.access(b, os.X_OK):
        log("+ swift build -c release --static-swift-stdlib --product clusterdns")
        subprocess.check_call(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "clusterdns"], cwd=ROOT)
    return b


def start_server(binary_path, manifests, work, dns_port, admin_port, udpmax=1232):
    zones = os.path.join(work, "empty-zones")
    os.makedirs(zones, exist_ok=True)
    logf = open(os.path.join(work, "server.log"), "w")
    cmd = [binary_path, "serve", "--listen", "127.0.0.1:%d" % dns_port, "--admin", "127.0.0.1:%d" % admin_port,
           "--manifests", manifests, "--zones", zones, "--max-udp-size", str(udpmax), "--log-level", "warning"]
    log("+ " + " ".join(cmd))
    return subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)


def wait_ready(proc, admin_port, dns_port, probe, timeout=600):
    """Seconds until /readyz is 200 and `probe` answers, or None."""
    t0 = time.time()
    admin = Admin(admin_port, timeout=5)
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            return None
        try:
            status, _ = admin.request("GET", "/readyz")
            if status == 200:
                break
        except OSError:
            admin.conn = None
        time.sleep(0.05)
    left = timeout - (time.time() - t0)
    if left <= 0 or bu.wait_answer("127.0.0.1", dns_port, probe, timeout=left, start=t0) is None:
        return None
    return time.time() - t0


def stop_server(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ----------------------------------------------------------------------------------------------
# /metrics


def histogram(admin, name):
    """{le (float): cumulative count} of a Prometheus histogram on /metrics, plus 'count'/'sum'."""
    status, text = admin.request("GET", "/metrics")
    if status != 200 or not isinstance(text, str):
        return {}
    out = {}
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        m = re.match(r'%s_bucket\{.*le="([^"]+)".*\}\s+(\S+)' % re.escape(name), line)
        if m:
            out[float(m.group(1))] = float(m.group(2))
        elif line.startswith(name + "_count"):
            out["count"] = float(line.split()[-1])
        elif line.startswith(name + "_sum"):
            out["sum"] = float(line.split()[-1])
    return out


def hist_delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


def hist_quantile(h, q):
    """Quantile estimated from cumulative buckets, interpolating linearly inside the bucket."""
    bounds = sorted(k for k in h if isinstance(k, float))
    total = h.get("count") or (h.get(float("inf")) if bounds else 0)
    if not total:
        return None
    rank = q * total
    prev_b, prev_c = 0.0, 0.0
    for b in bounds:
        c = h[b]
        if c >= rank:
            if b == float("inf"):
                return prev_b
            return prev_b + (b - prev_b) * ((rank - prev_c) / max(1e-12, c - prev_c))
        prev_b, prev_c = b, c
    return prev_b


def pct(vals, p):
    if not vals:
        return float("nan")
    v = sorted(vals)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


def dnsperf_rcodes(text):
    """{'NOERROR': n, ...} from dnsperf's "Response codes:" line."""
    m = re.search(r"Response codes:\s+(.*)$", text, re.M)
    out = {}
    if m:
        for part in m.group(1).split(","):
            mm = re.match(r"\s*(\w+)\s+(\d+)", part)
            if mm:
                out[mm.group(1)] = int(mm.group(2))
    return out


class _FallbackBenchUtil:
    """Stand-ins for ../shared/bench/bench_util.py when it is absent (RSS, CPU, readiness, dnsperf
    totals); Benchmarks/churn MODE=dnsperf still needs the real one (measure)."""

    @staticmethod
    def mem(pid):
        with open("/proc/%d/status" % pid) as f:
            rss = next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), 0)
        return rss, 0, 1

    @staticmethod
    def cpu(pid):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))

    @staticmethod
    def wait_answer(host, port, name, timeout=120.0, start=None):
        start = time.time() if start is None else start
        r = Resolver(port, host, timeout=0.05)
        deadline = time.time() + timeout
        while time.time() < deadline:
            rcode, answers = r.query(name, 1, tries=1)
            if rcode == "NOERROR" and answers:
                return time.time() - start
            time.sleep(0.005)
        return None

    @staticmethod
    def parse(path):
        txt = open(path, errors="replace").read()
        out = {}
        for key, rx, conv in (("qps", r"Queries per second:\s+([\d.]+)", float),
                              ("lost", r"Queries lost:\s+(\d+)", int)):
            m = re.search(rx, txt)
            if m:
                out[key] = conv(m.group(1))
        m = re.search(r"Response codes:\s+(.*)$", txt, re.M)
        if m:
            out["rcodes"] = m.group(1).strip()
        return out


if bu is None:
    bu = _FallbackBenchUtil()
