package components

// DefaultLogRetentionDays is how long every log group a component creates
// keeps its logs unless told otherwise: a year, for incident reviews and
// audits. The stacks' config defaults to it, as Pulumi.yaml declares.
const DefaultLogRetentionDays = 365
