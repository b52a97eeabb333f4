import FuzzSupport

/// libFuzzer entry point: the input is a DHCPv6 message (what follows the UDP header).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDHCPv6(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    stop(on: DHCPv6Properties.message(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
