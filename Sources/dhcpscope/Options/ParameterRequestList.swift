import ArgumentParser
import DHCPProtocol

/// The option 55 flags of the client roles (mock-client --request-list, probe --request): comma-separated codes
/// 1…254, `none` for no option 55, the client's default list when not given.
enum ParameterRequestList {
    static func parse(_ text: String?, flag: String) throws -> [UInt8] {
        guard let text else { return DHCPClientSettings.defaultParameterRequestList }
        if text == "none" { return [] }
        return try text.split(separator: ",").map { item throws(ValidationError) in
            guard let code = UInt8(item.trimmingPrefix(" ")), code != 0, code != 255 else {
                throw ValidationError("\(flag): '\(item)' is not an option code 1…254")
            }
            return code
        }
    }
}
