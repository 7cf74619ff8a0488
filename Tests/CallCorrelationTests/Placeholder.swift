// CallCorrelationTests: tests for CallCorrelation land with its issue.
