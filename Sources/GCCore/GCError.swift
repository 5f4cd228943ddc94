/// The one error type of the numeric core. Its message is meant for a person: the binding
/// layer shows it to Lua as it is.
public struct GCError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// Raised by native loops when the user pressed Ctrl-C.
    public static let interrupted = GCError("interrupted!")
}
