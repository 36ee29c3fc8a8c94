import DNSModel

/// The addresses of an entry's endpoints, ready or not, in ascending order: a merge of its two
/// lists, each sorted by address first (`EndpointComputer.order`). No array is built.
struct AddressWalk {
    let ready: [Endpoint], notReady: [Endpoint]
    var i = 0, j = 0
    init(_ entry: ServiceEntry) { ready = entry.readyEndpoints; notReady = entry.notReadyEndpoints }
    /// The next address (nil at the end).
    var peek: IPAddress? {
        switch (i < ready.count ? ready[i].address : nil, j < notReady.count ? notReady[j].address : nil) {
        case (let x?, let y?): min(x, y)
        case (let x, let y): x ?? y
        }
    }
    /// Steps past `peek`.
    mutating func advance() {
        if i < ready.count, j == notReady.count || ready[i].address <= notReady[j].address { i += 1 } else { j += 1 }
    }
}
