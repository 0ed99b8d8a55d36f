package components

// DefaultLogRetentionDays is how long every log group a component creates
// keeps its logs unless told otherwise: a year, for incident reviews and
// audits. Pulumi.yaml's logRetentionDays and accessLogRetentionDays
// declare the same (a stacks test keeps them in step).
const DefaultLogRetentionDays = 365
