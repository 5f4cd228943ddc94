import Foundation
import Testing

/// The sweep on a real Slurm (Debian's slurm-wlm and munge, installed by scripts/test): a
/// one-node cluster started in a temporary folder, a tiny sweep (2 tasks × 2 seeds) emitted
/// with --emit-slurm, submitted as a job array with a dependent merge job, and its records
/// compared byte for byte with a --jobs 1 run of the same sweep.
@Suite("Sweeps on Slurm", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/slurmctld")
                    && FileManager.default.isExecutableFile(atPath: "/usr/sbin/munged"),
                "SKIPPED: slurm-wlm and munge are not installed (scripts/test installs them with apt-get as root)"))
struct SlurmTests {
    /// The tiny sweep: small models, few steps, an OOD range every model meets.
    static let sweep = ["--tasks", "reverse,sort", "--seeds", "1,2", "--steps", "300", "--set", "ladder=false",
                        "--set", "bootstrap=20", "--set", "timings=false", "--set", "model.n_layers=2", "--set", "model.d_model=32",
                        "--set", "model.d_head=8", "--set", "model.d_mlp=64", "--set", "ood.lengths=3,4", "--set", "ood.range=0,1"]

    /// Starts or stops the cluster (not captured: the daemons it leaves would hold a pipe open).
    func cluster(_ command: String, _ dir: String) throws {
        try shell(["bash", repositoryRoot + "/scripts/slurm/local-cluster", command, dir], capture: false)
    }

    /// The files of a folder with their bytes.
    func contents(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    @Test func aJobArrayAndItsMergeEqualOneProcess() throws {
        let dir = try temporaryFolder()
        try cluster("start", dir + "/cluster")
        defer { try? cluster("stop", dir + "/cluster") }
        let conf = ["SLURM_CONF": dir + "/cluster/slurm.conf", "PATH": "/usr/sbin:/usr/bin:/bin"]
        let nodes = try shell(["env", "SLURM_CONF=" + dir + "/cluster/slurm.conf", "sinfo", "-h", "-o", "%t"])
        try #require(nodes.contains("idle"), "the one-node cluster did not start: see \(dir)/cluster/log")
        let paper = repositoryRoot + "/scripts/paper.lua"
        let emit = try gcgap([paper] + SlurmTests.sweep + ["--out", dir + "/slurm", "--emit-slurm", "--array-limit", "2"], cwd: dir)
        #expect(emit.status == 0, "\(emit.stderr)")
        let sbatch = try String(contentsOfFile: dir + "/slurm/slurm/paper.sbatch", encoding: .utf8)
        #expect(sbatch.contains("#SBATCH --array=1-4%2") && sbatch.contains("#SBATCH --cpus-per-task=1"))
        let submit = Process()
        submit.executableURL = URL(fileURLWithPath: "/bin/bash")
        submit.arguments = [dir + "/slurm/slurm/submit.sh", "--wait"]
        submit.environment = ProcessInfo.processInfo.environment.merging(conf) { $1 }
        try submit.run()
        submit.waitUntilExit()
        #expect(submit.terminationStatus == 0, "the merge job failed: see \(dir)/slurm/slurm/logs")
        let single = try gcgap([paper] + SlurmTests.sweep + ["--out", dir + "/single", "--jobs", "1"], cwd: dir)
        #expect(single.status == 0, "\(single.stderr)")
        let merged = try contents(dir + "/slurm/runs"), one = try contents(dir + "/single/runs")
        #expect(merged.count == 16 && merged == one, "records differ: \(Set(merged.keys).symmetricDifference(one.keys))")
        for file in ["runs.csv", "summary.json"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/slurm/" + file))
                    == Data(contentsOf: URL(fileURLWithPath: dir + "/single/" + file)), "\(file) differs")
        }
    }

    /// --report-only lists the runs still missing, and a shard writes only its own records.
    @Test func aReportFromSomeShardsListsTheMissingRuns() throws {
        let dir = try temporaryFolder()
        let paper = repositoryRoot + "/scripts/paper.lua"
        let shard = try gcgap([paper] + SlurmTests.sweep + ["--out", dir, "--shard", "2/2", "--no-decomposition"],
                              environment: ["GCGAP_THREADS": "1"])
        #expect(shard.status == 0, "\(shard.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/runs").sorted()
                == ["reverse-2-default.json", "sort-2-default.json"])
        let report = try gcgap([paper] + SlurmTests.sweep + ["--out", dir, "--report-only", "--no-decomposition"])
        #expect(report.status == 0 && report.stdout.contains("2 runs are still missing"), "\(report.stdout)")
        #expect(report.stdout.contains("  reverse seed 1\n  sort seed 1\n"))
    }

    /// In a job array, the shard comes from SLURM_ARRAY_TASK_ID and _COUNT.
    @Test func theShardComesFromSlurmsEnvironment() throws {
        let dir = try temporaryFolder()
        let r = try gcgap([repositoryRoot + "/scripts/paper.lua"] + SlurmTests.sweep + ["--out", dir, "--no-decomposition"],
                          environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"])
        #expect(r.status == 0 && r.stdout.contains("shard 1/4 run 1/4 reverse seed 1"), "\(r.stdout)\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/runs") == ["reverse-1-default.json"])
    }
}
