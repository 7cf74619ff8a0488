/// Decides whether a number is an internal extension or an external party (`numbers.internal`),
/// and which tenant owns a call (`tenants` rules, contract.md).
///
/// Why not by channel technology: the engine must work the same for PJSIP, IAX2, SIP or DAHDI trunks
/// (issue 3), so "external" is a property of the number, not of the channel name.
struct PartyClassifier: Sendable {
    private let internalPattern: CompiledPattern
    private let trunkPattern: CompiledPattern?
    private let tenantRules: [(rule: TenantRule, pattern: CompiledPattern?)]
    /// Channel variables the tenant rules look at (the engine keeps only these from VarSet).
    let tenantVariableNames: Set<String>
    private(set) var diagnostics: [CorrelationDiagnostic] = []

    init(configuration: CorrelationConfiguration) {
        internalPattern = CompiledPattern(configuration.internalNumberPattern)
        trunkPattern = configuration.trunkChannelPattern.map(CompiledPattern.init)
        var rules: [(TenantRule, CompiledPattern?)] = []
        var variables: Set<String> = []
        for rule in configuration.tenants {
            switch rule.match {
            case .channelPattern(let pattern):
                let compiled = CompiledPattern(pattern)
                if !compiled.isValid { diagnostics.append(.invalidPattern(pattern)) }
                rules.append((rule, compiled))
            case .variable(let name, _):
                variables.insert(name)
                rules.append((rule, nil))
            default:
                rules.append((rule, nil))
            }
        }
        tenantRules = rules
        tenantVariableNames = variables
        if !internalPattern.isValid { diagnostics.append(.invalidPattern(configuration.internalNumberPattern)) }
        if let trunkPattern, !trunkPattern.isValid { diagnostics.append(.invalidPattern(trunkPattern.source)) }
    }

    /// Internal when the whole number matches `numbers.internal`.
    func isInternal(_ number: String) -> Bool { internalPattern.matchesWhole(number) }

    /// External when the number is not internal and looks like a dialable number (digits, an
    /// optional leading `+`, at least three digits). Names such as `anonymous`, `s` or a queue
    /// extension like `support` are neither.
    func isExternal(_ number: String) -> Bool {
        guard !number.isEmpty, !isInternal(number) else { return false }
        var digits = 0
        for (index, byte) in number.utf8.enumerated() {
            if byte >= 48 && byte <= 57 { digits += 1; continue }
            if byte == UInt8(ascii: "+") && index == 0 { continue }
            return false
        }
        return digits >= 3
    }

    /// Whether a leg is an external party: its channel is a configured trunk, or its number is external.
    func isExternal(number: String, channel: String) -> Bool {
        if let trunkPattern, trunkPattern.matches(channel) { return true }
        return isExternal(number)
    }

    /// The first rule that matches the channel wins; `main` owns the rest.
    func tenant(for channel: ChannelRecord) -> String {
        for (rule, pattern) in tenantRules {
            switch rule.match {
            case .accountCode(let code):
                if channel.accountCode == code { return rule.name }
            case .contextPrefix(let prefix):
                if channel.context?.hasPrefix(prefix) == true || channel.initialContext?.hasPrefix(prefix) == true {
                    return rule.name
                }
            case .channelPattern:
                if pattern?.matches(channel.name) == true { return rule.name }
            case .variable(let name, let value):
                if channel.variables[name] == value { return rule.name }
            }
        }
        return CorrelationConfiguration.mainTenant
    }
}
