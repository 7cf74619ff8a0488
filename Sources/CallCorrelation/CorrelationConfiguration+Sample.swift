extension CorrelationConfiguration {
    /// The correlation rules of the shipped `config/event-publisher.yaml` (tenants acme and globex by
    /// accountcode, internal numbers of 2–6 digits, rating off with one sample plan).
    ///
    /// Why it exists: `replay` and tests need the sample rules before (and independent of) the YAML
    /// loader; the loader's output for that file must equal this value.
    public static let sample = CorrelationConfiguration(
        tenants: [
            TenantRule(name: "acme", match: .accountCode("acme")),
            TenantRule(name: "globex", match: .accountCode("globex")),
        ],
        internalNumberPattern: "^[0-9]{2,6}$",
        rating: RatingConfiguration(
            enabled: false, currency: "USD",
            plans: [
                RatePlan(
                    prefix: "+1555", direction: .outbound, perMinute: 0.02, minimumSeconds: 30,
                    incrementSeconds: 6, connectionFee: 0.01)
            ]))
}
