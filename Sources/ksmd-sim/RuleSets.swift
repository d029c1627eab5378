import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

/// A rule set named on the command line (`compare --rules`, `estimate --rules`): a built-in name,
/// or a JSON file holding a rule-set object (or a scenario whose "rules" is one). Exits with one
/// line when it is neither.
func loadRuleSet(_ item: String) throws -> EligibilityRules {
    if let r = EligibilityRules.builtIn[item] { return r }
    guard access(item, F_OK) == 0 else {
        printError(
            "unknown rule set \"\(item)\": not a built-in name (\(EligibilityRules.builtIn.keys.sorted().joined(separator: ", "))) nor a file"
        )
        throw Exit.usage
    }
    let text = try readScenarioFile(item)
    do {
        let json = try JSON.parse(text)
        return try Scenario.decodeRules(json["rules"] ?? json)
    } catch {
        printError("\(item): \(error)")
        throw Exit.dataError
    }
}
