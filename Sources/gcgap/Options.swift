/// The command line, parsed as Lua's standalone interpreter (`lua.c`) parses its own:
/// `gcgap [options] [script [args]]`.
struct Options {
    enum Action { case execute(String), require(String), warnings }
    var actions: [Action] = []        // -e, -l and -W, in order
    var interactive = false           // -i
    var version = false               // -v
    var noEnvironment = false         // -E
    var help = false                  // -h / --help
    var scriptIndex: Int? = nil       // index in argv of the script ("-" is stdin)
    var argv: [String]

    static let usage = """
    usage: gcgap [options] [script [args]]
    Available options are:
      -e stat   execute string 'stat'
      -i        enter interactive mode after executing 'script'
      -l mod    require library 'mod' into global 'mod'
      -l g=mod  require library 'mod' into global 'g'
      -v        show version information
      -E        ignore environment variables (GCGAP_INIT, GCGAP_PATH, LUA_PATH, LUA_CPATH)
      -W        turn warnings on
      -h, --help  show this help
      --        stop handling options
      -         stop handling options and execute stdin

    With no script and no -e, gcgap starts the REPL when standard input is a terminal
    and runs standard input as a script otherwise. The script sees its arguments in the
    global table 'arg' (arg[0] is the script, arg[1] the first argument, negative indices
    the interpreter and its options) and as '...'.

    Environment:
      GCGAP_INIT     Lua code run before the script ('@file' runs a file)
      GCGAP_PATH     the folder of gcgap's Lua modules (default: the stdlib/ found next
                     to the executable)
      GCGAP_HISTORY  the REPL's history file (default ~/.gcgap_history; '' disables it)
      GCGAP_THREADS  threads for an analysis's independent passes (default: one per
                     processor; every count gives the same bits)
      GCGAP_KERNEL   the matrix-product kernel: unset = the widest microkernel this CPU
                     has (avx512, avx2; the same bits), avx2, or openblas

    In the REPL: Tab completes globals and fields after '.' and ':'; Ctrl-C interrupts
    a running chunk (native training included) or clears the line; Ctrl-D exits.
    """

    /// Parses; throws a message (lua.c's wording) on a bad option.
    init(_ argv: [String]) throws {
        self.argv = argv
        var i = 1
        while i < argv.count {
            let a = argv[i]
            guard a.hasPrefix("-") else { scriptIndex = i; return }
            switch a {
            case "-": scriptIndex = i; return
            case "--": if i + 1 < argv.count { scriptIndex = i + 1 }; return
            case "-h", "--help": help = true
            case "-i": interactive = true; version = true
            case "-v": version = true
            case "-E": noEnvironment = true
            case "-W": actions.append(.warnings)
            default:
                let flag = a.prefix(2)
                guard flag == "-e" || flag == "-l" else { throw OptionError("unrecognized option '\(a)'") }
                var value = String(a.dropFirst(2))
                if value.isEmpty {
                    i += 1
                    guard i < argv.count, !argv[i].hasPrefix("-") else { throw OptionError("'\(flag)' needs argument") }
                    value = argv[i]
                }
                actions.append(flag == "-e" ? .execute(value) : .require(value))
            }
            i += 1
        }
    }
}

struct OptionError: Error { let message: String; init(_ m: String) { message = m } }
