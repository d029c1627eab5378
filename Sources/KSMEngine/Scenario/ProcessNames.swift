/// The process names of a scenario, step by step: a name is used only while its process lives,
/// and never given to a second process, not even after the first has exited.
///
/// The one place these rules live: the scenario decoder and ``Scenario/validate()`` check a
/// scenario with it (`Handle` `Void`), and ``SimulatorBackend`` keeps its processes in it (`Handle`
/// the ``ProcessID``), so that a step performed directly gets the messages a scenario file gets.
struct ProcessNames<Handle> {
    /// The live processes by name.
    private(set) var live: [String: Handle] = [:]
    /// Every name given so far, live or exited.
    private(set) var used: Set<String> = []

    /// The live process `name`, if there is one.
    subscript(name: String) -> Handle? { live[name] }

    /// The live process `name`; for a name of no live process, the error that says whether it
    /// has exited or was never given.
    @discardableResult
    func use(_ name: String) throws(ScenarioError) -> Handle {
        guard let handle = live[name] else {
            throw ScenarioError(
                used.contains(name) ? "process \"\(name)\" has exited" : "unknown process \"\(name)\" (spawn or fork it first)")
        }
        return handle
    }

    /// Checks that a new process may be called `name` (given in field `key`, or `nil` for a step
    /// built in Swift): not empty, never used.
    func checkNew(_ name: String, key: String?) throws(ScenarioError) {
        guard !name.isEmpty else {
            throw ScenarioError(key.map { "\"\($0)\" must be a non-empty name" } ?? "a process name must not be empty")
        }
        guard !used.contains(name) else { throw ScenarioError("duplicate process name \"\(name)\"") }
    }

    /// Records the new process `name` (checked with ``checkNew(_:key:)``).
    mutating func insert(_ name: String, _ handle: Handle) {
        used.insert(name)
        live[name] = handle
    }

    /// The process `name` exits: its name stays used.
    mutating func remove(_ name: String) { live[name] = nil }

    /// Undoes ``insert(_:_:)`` of a process whose creation failed midway: the name is free again.
    mutating func forget(_ name: String) {
        live[name] = nil
        used.remove(name)
    }
}

extension ProcessNames where Handle == Void {
    /// A new process gets `name`, given in field `key`.
    mutating func add(_ name: String, key: String) throws(ScenarioError) {
        try checkNew(name, key: key)
        insert(name, ())
    }

    /// Checks and records the names `action` uses, creates and ends.
    mutating func apply(_ action: StepAction) throws(ScenarioError) {
        switch action {
        case .spawn(let p): try add(p, key: "process")
        case .fork(let p, let c):
            try use(p)
            try add(c, key: "child")
        case .exit(let p):
            try use(p)
            remove(p)
        case .load(let p, _): try add(p, key: "process")
        case .clone(let p, let into, _, _, _):
            try use(p)
            for c in into { try add(c, key: "into") }
        default:
            if let p = action.process { try use(p) }
        }
    }
}
