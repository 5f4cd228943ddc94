/// The command line, parsed as Lua's standalone interpreter (`lua.c`) parses its own:
/// `gcgap [options] [script [args]]`.
struct Options {
    enum Action { case execute(String), require(String), warnings }
    var actions: [Action] = []        // -e, -l and -W, in order
    var interactive = false           // -i
    var version = false               // -v
    var noEnvironment = false         // -E
    var help = false                  // -h / --help
    var binaryChunks = false          // -b
    var sandbox: String? = nil        // --sandbox DIR
    var limitMemory: Int? = nil       // --limit-mem SIZE
    var limitTime: Double? = nil      // --limit-time SECONDS
    var scriptIndex: Int? = nil       // index in argv of the script ("-" is stdin)
    var installKernel: [String]? = nil // --install-kernel [--user | --prefix P | --print]
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
      -b        allow binary chunks in load, loadfile, dofile, require and scripts
                (unsafe: a corrupt or hostile one can crash gcgap)
      -h, --help  show this help
      --sandbox DIR     run the script as a shared, untrusted one: it sees base, string,
                        table, math, utf8, coroutine, os.clock/time/date and gcgap; reads
                        only the files named after the script and files under DIR; writes
                        only under DIR (its working folder); requires only gcgap's modules
                        and files beside the script
      --limit-mem SIZE  with --sandbox: cap the Lua heap and, separately, native memory
                        (bytes, or with K, M or G)
      --limit-time SEC  with --sandbox: stop after SEC seconds of wall-clock time
      --install-kernel [--user | --prefix P]
                        install the Jupyter kernel "gcgap (Lua)": a venv with ipykernel
                        (from PyPI) and a kernelspec for this gcgap (default --user)
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
      GCGAP_BINARY_CHUNKS  1 allows binary chunks, as -b does
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
            case "-b": binaryChunks = true
            case "--install-kernel": installKernel = Array(argv[(i + 1)...]); return
            case "--sandbox", "--limit-mem", "--limit-time":
                i += 1
                guard i < argv.count else { throw OptionError("'\(a)' needs argument") }
                try setLong(a, argv[i])
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

extension Options {
    /// --sandbox, --limit-mem and --limit-time.
    mutating func setLong(_ flag: String, _ value: String) throws {
        switch flag {
        case "--sandbox": sandbox = value
        case "--limit-mem":
            let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
            let scale = value.last.flatMap { units[Character($0.uppercased())] } ?? 1
            let digits = scale == 1 ? value : String(value.dropLast())
            guard let n = Int(digits), n > 0, n.multipliedReportingOverflow(by: scale).overflow == false,
                  n * scale >= 1 << 20 else { throw OptionError("'--limit-mem' needs a size of at least 1M (e.g. 512M, 2G)") }
            limitMemory = n * scale
        default:
            guard let t = Double(value), t > 0, t.isFinite else { throw OptionError("'--limit-time' needs a positive number of seconds") }
            limitTime = t
        }
    }
}

struct OptionError: Error { let message: String; init(_ m: String) { message = m } }
