import ArgumentParser
import KSMEngine

extension Exit {
    /// The exit status of a snapshot or trace error (`capture`, `estimate --snapshot`/`--trace`):
    /// 66 for a process that does not exist or a file that cannot be read, 77 for a refused read,
    /// 73 for an output file that cannot be written, 65 for a file or options that are not what
    /// they should be.
    static func status(of error: SnapshotError) -> ExitCode {
        switch error.kind {
        case .noProcess, .cannotRead: noInput
        case .permissionDenied: noPermission
        case .cannotWrite: cannotCreate
        case .readFailed, .notASnapshot, .unsupportedVersion, .truncated, .corrupt, .invalidOptions: dataError
        }
    }

    /// The exit status of an estimate's error (`estimate --pid`/`--core`/`--snapshot`/`--trace`):
    /// 66 for a process or core file that does not exist or cannot be read, 77 for a refused read,
    /// 65 otherwise (too large, a failed read, a malformed core file).
    static func status(of error: EstimateError) -> ExitCode {
        switch error.kind {
        case .noProcess, .noFile: noInput
        case .permissionDenied: noPermission
        case .tooLarge, .readFailed, .invalidOptions, .malformedFile: dataError
        }
    }
}

/// Prints `error` as the one line of `command` (`ksmd-sim: capture: ...`) and returns its exit
/// status (`Exit.status(of:)`), for the command to throw.
func failure(_ command: String, _ error: SnapshotError) -> ExitCode {
    printError("\(command): \(error.message)")
    return Exit.status(of: error)
}

/// Prints `error` as the one line of `command` (`ksmd-sim: estimate: ...`) and returns its exit
/// status (`Exit.status(of:)`), for the command to throw.
func failure(_ command: String, _ error: EstimateError) -> ExitCode {
    printError("\(command): \(error.message)")
    return Exit.status(of: error)
}
