/// Stops the fuzzer on the first broken property: libFuzzer keeps the input as crash-…, as for a trap.
public func stop(on broken: [String]) {
    if let first = broken.first { fatalError(first) }
}
