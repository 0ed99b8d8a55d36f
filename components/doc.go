// Package components holds the reusable Pulumi ComponentResources that the
// stacks wire together:
//
//   - Network (private-apis:network:Network): a VPC in chosen AZ IDs with a
//     workload subnet per AZ at a place fixed by its AZ ID, the chosen NAT
//     strategy, flow logs and a default security group stripped of its rules;
//   - PrivateLinkNLB (private-apis:privatelink:PrivateLinkNLB): an internal
//     NLB and its target group, which Publish offers as a VPC endpoint
//     service for exact principals once the compute behind it serves,
//     accepting the consumer endpoints it is told to;
//   - EndpointService (private-apis:privatelink:EndpointService): a service
//     already behind an internal NLB (checked by InspectLoadBalancer), or an
//     existing endpoint service, published for exact principals;
//   - ContainerImage (private-apis:ecr:ContainerImage): an ECR repository and
//     the image built from source, tagged by exactly what the build sends and
//     kept for rollbacks;
//   - FargateService (private-apis:ecs:FargateService): a container on ECS
//     Fargate behind a PrivateLinkNLB;
//   - EC2Service (private-apis:ec2:EC2Service): a container on an EC2 Auto
//     Scaling group behind a PrivateLinkNLB, a new group per release;
//   - Table (private-apis:dynamodb:Table): a DynamoDB table with
//     point-in-time recovery and deletion protection;
//   - PrivateApi (private-apis:apigateway:PrivateApi): the public HTTP API,
//     an interface endpoint per provider and one internal load balancer,
//     with per-route throttling, JWT authorization and CORS;
//   - ApiDomain (private-apis:apigateway:ApiDomain): the API's custom
//     domain, TLS 1.2 only, with its certificate and DNS records when given a
//     hosted zone (InspectHostedZone and InspectCertificate check the inputs
//     first);
//   - Monitoring (private-apis:cloudwatch:Monitoring): CloudWatch alarms that
//     notify an SNS topic (and an e-mail address), and a dashboard of what
//     they watch.
//
// Components take typed Args and never read stack config: deciding values is
// the stacks package's job, so a component can be reused by any role and tested
// on its own. Each registers its children with pulumi.Parent and names them
// after itself, so a resource is found by its component's name.
//
// Type tokens follow one scheme, private-apis:<module>:<Type>.
package components
