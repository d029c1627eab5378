extension KSMDCostModel {
    /// The format line of a cost-model file.
    public static let format = "ksmd-sim-cost-model 1"

    /// The model as a cost-model file holds it:
    ///
    /// ```json
    /// {"format": "ksmd-sim-cost-model 1", "calibrated": "2026-11-29", "machine": "...",
    ///  "hz": 250, "wake_latency_nanos": 40000,
    ///  "cpu_nanos": {"batch": 20000, "full_scan": 50000, "new_rmap_item": 300, ...}}
    /// ```
    ///
    /// `cpu_nanos` holds `batch`, `full_scan` and every ``Path`` by its JSON name.
    public var json: JSON {
        .object([
            ("format", .string(Self.format)), ("calibrated", .string(calibrated)), ("machine", .string(machine)),
            ("hz", .int(hz)), ("wake_latency_nanos", .double(wakeLatencyNanos)),
            (
                "cpu_nanos",
                .object(
                    [("batch", .double(batchNanos)), ("full_scan", .double(fullScanNanos))]
                        + Path.allCases.map { ($0.rawValue, .double(self[$0])) })
            ),
        ])
    }

    /// Reads a model from its JSON form (``json``). Every field is required except `calibrated` and
    /// `machine`; unknown fields are refused, so that a misspelt path is not silently charged 0.
    ///
    /// - Throws: ``CostModelError``, one line naming the field: malformed JSON, a wrong format line,
    ///   a missing, unknown or mistyped field, a negative charge, `hz` outside 1 to 10,000.
    public init(json text: String) throws(CostModelError) {
        let value: JSON
        do {
            value = try JSON.parse(text)
        } catch {
            throw CostModelError("not JSON: \(error)")
        }
        guard case .object(let members) = value else { throw CostModelError("the file must hold a JSON object") }
        let known = ["format", "calibrated", "machine", "hz", "wake_latency_nanos", "cpu_nanos"]
        for (key, _) in members where !known.contains(key) {
            throw CostModelError("unknown field \"\(key)\" (known: \(known.joined(separator: ", ")))")
        }
        guard let format = value["format"] else { throw CostModelError("missing \"format\": \"\(Self.format)\"") }
        guard format == .string(Self.format) else {
            throw CostModelError("\"format\" must be \"\(Self.format)\", got \(format.serialized())")
        }
        func string(_ key: String) throws(CostModelError) -> String {
            guard let v = value[key] else { return "" }
            guard case .string(let s) = v else { throw CostModelError("\"\(key)\" must be a string, got \(v.typeName)") }
            return s
        }
        func number(_ v: JSON?, _ name: String) throws(CostModelError) -> Double {
            guard let v else { throw CostModelError("missing \"\(name)\"") }
            switch v {
            case .int(let n): return Double(n)
            case .double(let d): return d
            default: throw CostModelError("\"\(name)\" must be a number, got \(v.typeName)")
            }
        }
        guard let hzValue = value["hz"] else { throw CostModelError("missing \"hz\"") }
        guard case .int(let hz) = hzValue else { throw CostModelError("\"hz\" must be an integer, got \(hzValue.serialized())") }
        let latency = try number(value["wake_latency_nanos"], "wake_latency_nanos")
        guard let cpu = value["cpu_nanos"] else { throw CostModelError("missing \"cpu_nanos\"") }
        guard case .object(let charges) = cpu else {
            throw CostModelError("\"cpu_nanos\" must be an object, got \(cpu.typeName)")
        }
        let names = ["batch", "full_scan"] + Path.allCases.map(\.rawValue)
        for (key, _) in charges where !names.contains(key) {
            throw CostModelError("cpu_nanos.\(key): unknown path (known: \(names.joined(separator: ", ")))")
        }
        let batch = try number(cpu["batch"], "cpu_nanos.batch")
        let fullScan = try number(cpu["full_scan"], "cpu_nanos.full_scan")
        var pages: [Path: Double] = [:]
        for p in Path.allCases { pages[p] = try number(cpu[p.rawValue], "cpu_nanos.\(p.rawValue)") }
        try self.init(
            pageNanos: pages, batchNanos: batch, fullScanNanos: fullScan, hz: hz, wakeLatencyNanos: latency,
            calibrated: try string("calibrated"), machine: try string("machine"))
    }
}
