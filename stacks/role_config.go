package stacks

import (
	"fmt"
	"slices"

	"github.com/private-apis/private-apis/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Limits the program enforces; the defaults are Pulumi.yaml's.
const (
	maxDesiredCount = 1000
	maxGroupSize    = 100
)

// networkConfig holds the keys every role reads.
type networkConfig struct {
	AvailabilityZoneIds []string
	VpcCidr             string
	NatGateways         components.NatStrategy
	Tags                map[string]string
	LogRetentionDays    int
}

// publishingConfig holds the keys every provider role reads: who may
// connect, and how.
type publishingConfig struct {
	AllowedPrincipals  []string
	AcceptanceRequired bool
	SupportedRegions   []string
	// ConsumerStack, with AcceptanceRequired, is the consumer stack whose
	// endpoint to this provider gets accepted.
	ConsumerStack string
}

// providerConfig holds the keys of the roles that build their own network.
type providerConfig struct {
	Network    networkConfig
	Monitoring monitoringConfig
	publishingConfig
}

// ecsProviderConfig is the whole config of the ecs-provider role.
type ecsProviderConfig struct {
	Provider     providerConfig
	DesiredCount int
	CPU          int
	Memory       int
}

// ec2ProviderConfig is the whole config of the ec2-provider role.
type ec2ProviderConfig struct {
	Provider                providerConfig
	InstanceType            string
	MinSize                 int
	MaxSize                 int
	DesiredCapacity         int
	TableDeletionProtection bool
}

func readNetworkConfig(r *configReader, defaultNat components.NatStrategy) networkConfig {
	c := networkConfig{
		AvailabilityZoneIds: r.stringList("availabilityZoneIds", "[usw2-az1, usw2-az2]"),
		VpcCidr:             r.string("vpcCidr"),
		NatGateways:         components.NatStrategy(r.string("natGateways")),
		Tags:                r.stringMap("tags", "{team: payments}"),
		LogRetentionDays:    r.int("logRetentionDays", "365"),
	}
	if c.NatGateways == "" {
		// Empty means the role's default, as Pulumi.yaml says.
		c.NatGateways = defaultNat
	}
	validateAZIDs(r, c.AvailabilityZoneIds)
	validateCIDR(r, c.VpcCidr)
	if !slices.Contains(components.NatStrategies, c.NatGateways) {
		r.fail("natGateways", fmt.Sprintf("%q", c.NatGateways), "use one of %v", components.NatStrategies)
	}
	validateTags(r, c.Tags)
	validateRetention(r, "logRetentionDays", c.LogRetentionDays)
	return c
}

func readProviderConfig(r *configReader) providerConfig {
	return providerConfig{
		Network:          readNetworkConfig(r, components.NatSingle),
		Monitoring:       readMonitoringConfig(r, false),
		publishingConfig: readPublishingConfig(r, true),
	}
}

// readPublishingConfig reads who may connect; principalsRequired is false
// where they may come from an existing endpoint service instead.
func readPublishingConfig(r *configReader, principalsRequired bool) publishingConfig {
	c := publishingConfig{
		AllowedPrincipals:  r.stringList("allowedPrincipals", `["arn:aws:iam::111111111111:root"]`),
		AcceptanceRequired: r.bool("acceptanceRequired"),
		SupportedRegions:   r.stringList("supportedRegions", "[us-east-1]"),
		ConsumerStack:      r.string("consumerStack"),
	}
	if c.ConsumerStack != "" && !stackNamePattern.MatchString(c.ConsumerStack) {
		r.fail("consumerStack", fmt.Sprintf("%q", c.ConsumerStack), "not a fully-qualified stack name; use e.g. organization/private-apis/consumer")
	}
	if principalsRequired || len(c.AllowedPrincipals) > 0 {
		validatePrincipals(r, c.AllowedPrincipals)
	}
	validateRegions(r, "supportedRegions", c.SupportedRegions)
	return c
}

// loadECSProviderConfig reads and validates everything the ecs-provider
// role needs before it creates anything.
func loadECSProviderConfig(ctx *pulumi.Context, r *configReader) (ecsProviderConfig, error) {
	c := ecsProviderConfig{
		Provider:     readProviderConfig(r),
		DesiredCount: r.int("desiredCount", "2"),
		CPU:          r.int("cpu", "256"),
		Memory:       r.int("memory", "512"),
	}
	if c.Provider.Network.NatGateways == components.NatNone {
		r.fail("natGateways", `"none"`, "Fargate tasks pull their image from ECR through a NAT gateway; use %q (default) or %q", components.NatSingle, components.NatOnePerAz)
	}
	if c.DesiredCount < 2 || c.DesiredCount > maxDesiredCount {
		r.fail("desiredCount", fmt.Sprint(c.DesiredCount), "run 2 to %d tasks: at least 2 so each AZ keeps a task and deployments never drop to zero", maxDesiredCount)
	}
	if err := components.CheckFargateSize(c.CPU, c.Memory); err != nil {
		r.fail("cpu", fmt.Sprintf("%d (memory %d)", c.CPU, c.Memory), "%v", err)
	}
	return c, r.err(ctx, roleECSProvider)
}

// loadEC2ProviderConfig reads and validates everything the ec2-provider
// role needs before it creates anything.
func loadEC2ProviderConfig(ctx *pulumi.Context, r *configReader) (ec2ProviderConfig, error) {
	c := ec2ProviderConfig{
		Provider:                readProviderConfig(r),
		InstanceType:            r.string("instanceType"),
		MinSize:                 r.int("minSize", "2"),
		MaxSize:                 r.int("maxSize", "4"),
		DesiredCapacity:         r.int("desiredCapacity", "2"),
		TableDeletionProtection: r.bool("tableDeletionProtection"),
	}
	if c.DesiredCapacity == 0 {
		c.DesiredCapacity = c.MinSize
	}
	if c.Provider.Network.NatGateways == components.NatNone {
		r.fail("natGateways", `"none"`, "instances install Docker and pull their image through a NAT gateway; use %q (default) or %q", components.NatSingle, components.NatOnePerAz)
	}
	if err := components.CheckInstanceType(c.InstanceType); err != nil {
		r.fail("instanceType", fmt.Sprintf("%q", c.InstanceType), "%v", err)
	}
	switch {
	case c.MinSize < 2:
		r.fail("minSize", fmt.Sprint(c.MinSize), "at least 2, so each of two AZs keeps an instance")
	case c.MaxSize < c.MinSize || c.MaxSize > maxGroupSize:
		r.fail("maxSize", fmt.Sprint(c.MaxSize), "must be between minSize (%d) and %d", c.MinSize, maxGroupSize)
	case c.DesiredCapacity < c.MinSize || c.DesiredCapacity > c.MaxSize:
		r.fail("desiredCapacity", fmt.Sprint(c.DesiredCapacity), "must be between minSize (%d) and maxSize (%d), or 0 for minSize", c.MinSize, c.MaxSize)
	}
	return c, r.err(ctx, roleEC2Provider)
}

// monitoringConfig is a stack's alarms: off unless asked for, since alarms
// and dashboards cost money.
type monitoringConfig struct {
	Enabled bool
	Email   string
	// The consumer's thresholds: the 5xx share, in percent of requests, of
	// the API and of each provider behind it, and the API's p99 latency.
	FiveXXRatePercent int
	LatencyP99Ms      int
}

// readMonitoringConfig reads private-apis:monitoring and alarmEmail, and
// with thresholds (the consumer's) the thresholds of its alarms.
func readMonitoringConfig(r *configReader, thresholds bool) monitoringConfig {
	m := monitoringConfig{
		Enabled:           r.bool("monitoring"),
		Email:             r.string("alarmEmail"),
		FiveXXRatePercent: r.int("alarm5xxRatePercent", "5"),
		LatencyP99Ms:      r.int("alarmLatencyP99Milliseconds", "3000"),
	}
	if !thresholds {
		// The thresholds are the consumer's: a provider's alarms watch its
		// targets and compute.
		for _, key := range []string{"alarm5xxRatePercent", "alarmLatencyP99Milliseconds"} {
			if r.changed(key) {
				r.fail(key, r.raw(key), "the consumer's alarm threshold; a provider's alarms watch its targets and compute, so set it in Pulumi.consumer.yaml")
			}
		}
	} else {
		checkThresholds(r, m)
	}
	if m.Email != "" && !m.Enabled {
		r.fail("alarmEmail", fmt.Sprintf("%q", m.Email), "alarms are off: set private-apis:monitoring to true as well")
	}
	if m.Email != "" {
		if err := components.CheckEmail(m.Email); err != nil {
			r.fail("alarmEmail", fmt.Sprintf("%q", m.Email), "%v; use e.g. oncall@example.com", err)
		}
	}
	return m
}

// checkThresholds checks the consumer's alarm thresholds.
func checkThresholds(r *configReader, m monitoringConfig) {
	if m.FiveXXRatePercent < 1 || m.FiveXXRatePercent > 100 {
		r.fail("alarm5xxRatePercent", fmt.Sprint(m.FiveXXRatePercent), "a share of requests in percent, 1 to 100; e.g. 5")
	}
	if m.LatencyP99Ms < 100 || m.LatencyP99Ms > 30000 {
		r.fail("alarmLatencyP99Milliseconds", fmt.Sprint(m.LatencyP99Ms), "100 to 30000 milliseconds (API Gateway's integration timeout is 30 s); e.g. 3000")
	}
}
