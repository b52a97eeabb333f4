import Testing

/// The scenarios that start databases, directories, server pairs and floods run one after another under this suite
/// (its `.serialized` reaches the suites nested in it), while the other suites run beside them: each of these loads
/// the machine for tens of seconds, and together they made the timing of the others (a lease file watched for 5 s,
/// a renewal due at T1) miss on two cores.
@Suite("Stores, pairs, floods and metrics, one at a time", .serialized, .enabled(if: LabGate.enabled))
struct OneAtATime {}
