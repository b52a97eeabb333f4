import FuzzSupport

/// libFuzzer entry point: the input is a DHCP payload (what follows the UDP header).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessage(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    stop(on: RoundTripProperties.message(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
