// Package components holds the reusable Pulumi ComponentResources that the
// stacks wire together: a Network, a PrivateService (internal NLB published
// as a VPC endpoint service), a ContainerImage (ECR repository plus the image
// built from source) and a FargateService.
//
// Components take typed Args and never read stack config: deciding values is
// the stacks package's job, so a component can be reused by any role and tested
// on its own. Each registers its children with pulumi.Parent and names them
// after itself, so a resource is found by its component's name.
//
// Type tokens follow one scheme, private-apis:<module>:<Type>.
package components
