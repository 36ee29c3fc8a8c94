import Mustache

/// The status page's Mustache template. `{{x}}` HTML-escapes; the template never uses the
/// unescaped `{{{x}}}` or `{{&x}}` forms, so object text (names, label values) cannot inject markup.
enum StatusPageTemplate {
    static let template: MustacheTemplate = {
        do {
            return try MustacheTemplate(string: text)
        } catch {
            fatalError("status page template: \(error)")
        }
    }()

    static let text = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="{{refreshSeconds}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clusterdns · {{domain}} · generation {{generation}}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { background: #24292f; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { color: #c9d1d9; }
  main { padding: 8px 24px 24px; max-width: 1400px; }
  h2 { font-size: 16px; margin: 20px 0 8px; }
  h3 { font-size: 14px; margin: 16px 0 6px; }
  table { border-collapse: collapse; background: #fff; width: 100%; border: 1px solid #d0d7de; }
  th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid #d0d7de; }
  th { background: #eaeef2; font-weight: 600; font-size: 13px; }
  code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
  .pill { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; }
  .ok { background: #dafbe1; color: #116329; }
  .bad { background: #ffebe9; color: #a40e26; }
  .muted { color: #656d76; }
  .eps { list-style: none; margin: 0; padding: 0; }
  .eps li { margin: 2px 0 6px; }
  .reason { color: #a40e26; }
  .summary { display: flex; gap: 12px; flex-wrap: wrap; margin: 12px 0; }
  .card { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px 12px; }
  .card b { font-size: 18px; display: block; }
  .note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 6px 12px; margin: 8px 0; }
  .cols { display: grid; grid-template-columns: minmax(280px, 1fr) minmax(420px, 2fr); gap: 16px; }
</style>
</head>
<body>
<header>
  <h1>clusterdns</h1>
  <span class="meta">domain <code id="domain">{{domain}}</code></span>
  <span class="meta">generation <b id="generation">{{generation}}</b></span>
  <span class="meta">{{#ready}}<span class="pill ok" id="ready">ready</span>{{/ready}}{{^ready}}<span class="pill bad" id="ready">waiting for {{waiting}}</span>{{/ready}}</span>
  <span class="meta">{{now}} · refreshes every {{refreshSeconds}} s</span>
</header>
<main>
{{#notes}}<div class="note">{{.}}</div>{{/notes}}
<div class="summary">
{{#counts}}  <div class="card"><b>{{count}}</b><span class="muted">{{kind}}</span></div>
{{/counts}}</div>

<div class="cols">
<section>
<h2>Namespaces</h2>
<table id="namespaces">
<tr><th>Namespace</th><th>Services</th><th>Pods</th><th>Namespace object</th></tr>
{{#namespaceNames}}<tr><td><code>{{namespace}}</code></td><td>{{serviceCount}}</td><td>{{podCount}}</td><td>{{#hasObject}}yes{{/hasObject}}{{^hasObject}}<span class="muted">implied</span>{{/hasObject}}</td></tr>
{{/namespaceNames}}</table>
</section>
<section>
<h2>Recent store changes</h2>
<table id="changes">
<tr><th>Generation</th><th>First seen</th><th>Change</th></tr>
{{#changes}}<tr><td>{{generation}}</td><td class="muted">{{seen}}</td><td>{{summary}}</td></tr>
{{/changes}}{{^changes}}<tr><td colspan="3" class="muted">none seen yet</td></tr>
{{/changes}}</table>
<p class="muted">Sampled at each admin request: generations published between two requests share one row.</p>
</section>
</div>

<h2>Services</h2>
{{#namespaces}}
<h3>Namespace <code>{{namespace}}</code></h3>
<table class="services">
<tr><th>Service</th><th>DNS name</th><th>Type</th><th>Cluster IPs</th><th>Ports</th><th>Endpoints</th></tr>
{{#services}}<tr id="svc-{{namespace}}-{{serviceName}}">
  <td><b>{{serviceName}}</b>{{#hasSelector}}<div class="muted">selector {{selector}}</div>{{/hasSelector}}</td>
  <td><code>{{dnsName}}</code></td>
  <td>{{type}}</td>
  <td><code>{{clusterIPs}}</code></td>
  <td>{{#ports}}<div><code>{{.}}</code></div>{{/ports}}</td>
  <td>{{#hasEndpoints}}<div class="muted">{{readyCount}} of {{endpointCount}} ready · from {{source}}</div>
  <ul class="eps">
  {{#endpoints}}<li class="endpoint">{{#ready}}<span class="pill ok">ready</span>{{/ready}}{{^ready}}<span class="pill bad">not ready</span>{{/ready}} <code>{{address}}</code>{{#hasPod}} pod <b>{{pod}}</b>{{/hasPod}}{{#hasDNSName}}<br><code class="muted">{{dnsName}}</code>{{/hasDNSName}}{{^ready}}<br><span class="reason">{{reason}}</span>{{/ready}}</li>
  {{/endpoints}}</ul>{{/hasEndpoints}}{{^hasEndpoints}}<span class="muted">none · {{source}}</span>{{/hasEndpoints}}</td>
</tr>
{{/services}}</table>
{{/namespaces}}
{{^namespaces}}<p class="muted">No services.</p>{{/namespaces}}
</main>
</body>
</html>
"""#
}
