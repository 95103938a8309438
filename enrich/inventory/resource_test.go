package inventory_test

import (
	"testing"

	"github.com/flowhec/flowhec/enrich/inventory"
)

func TestResource(t *testing.T) {
	const uuid = "2b7c4d1e-9f0a-4b3c-8d2e-1f4a5b6c7d8e"
	onInstance := &inventory.Attachment{InstanceID: "i-0123456789abcdef0", Status: "attached"}
	tests := []struct {
		name      string
		typ, desc string
		requester string
		managed   bool
		attach    *inventory.Attachment
		want      string
	}{
		{name: "instance primary interface", typ: "interface", desc: "Primary network interface", attach: onInstance, want: ""},
		{name: "instance interface whose free-text description mimics a load balancer", typ: "interface", desc: "ELB app/fake/0123", attach: onInstance, want: ""},
		{name: "detached interface a user created", typ: "interface", desc: "spare interface", want: ""},
		{name: "application load balancer", typ: "interface", desc: "ELB app/web-prod/50dc6c495c0c9188", requester: "amazon-elb", managed: true, want: "elb:app/web-prod"},
		{name: "application load balancer, name with dashes and digits", typ: "interface", desc: "ELB app/k8s-default-ingress-1a2b3c/50dc6c495c0c9188", requester: "amazon-elb", managed: true, want: "elb:app/k8s-default-ingress-1a2b3c"},
		{name: "network load balancer", typ: "network_load_balancer", desc: "ELB net/metrics-ingest/7f3c2a1b0e9d8c7b", requester: "amazon-elb", managed: true, want: "elb:net/metrics-ingest"},
		{name: "gateway load balancer", typ: "gateway_load_balancer", desc: "ELB gwy/inspection/0a1b2c3d4e5f6a7b", requester: "amazon-elb", managed: true, want: "elb:gwy/inspection"},
		{name: "classic load balancer", typ: "interface", desc: "ELB my-classic-lb", requester: "amazon-elb", managed: true, want: "elb:classic/my-classic-lb"},
		{name: "classic load balancer named like a type", typ: "interface", desc: "ELB app", requester: "amazon-elb", managed: true, want: "elb:classic/app"},
		{name: "description with blanks around it", typ: "interface", desc: "  ELB app/web-prod/50dc6c495c0c9188 ", requester: "amazon-elb", managed: true, want: "elb:app/web-prod"},
		{name: "lambda", typ: "lambda", desc: "AWS Lambda VPC ENI-orders-fn-" + uuid, requester: "AROAEXAMPLE:awslambda_1", managed: true, want: "lambda:orders-fn"},
		{name: "lambda, function name full of dashes and hex words", typ: "lambda", desc: "AWS Lambda VPC ENI-etl-2024-01-deadbeef-cafe-" + uuid, managed: true, want: "lambda:etl-2024-01-deadbeef-cafe"},
		{name: "lambda, function name ending in a short hex word", typ: "lambda", desc: "AWS Lambda VPC ENI-my-fn-1234abcd", managed: true, want: "lambda:my-fn-1234abcd"},
		{name: "lambda, function name that is itself a UUID", typ: "lambda", desc: "AWS Lambda VPC ENI-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b-" + uuid, managed: true, want: "lambda:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"},
		{name: "lambda, upper-case UUID", typ: "lambda", desc: "AWS Lambda VPC ENI-Billing_Export-2B7C4D1E-9F0A-4B3C-8D2E-1F4A5B6C7D8E", managed: true, want: "lambda:Billing_Export"},
		{name: "lambda, UUID with a wrong dash is part of the name", typ: "lambda", desc: "AWS Lambda VPC ENI-fn-2b7c4d1e9-f0a-4b3c-8d2e-1f4a5b6c7d8e", managed: true, want: "lambda:fn-2b7c4d1e9-f0a-4b3c-8d2e-1f4a5b6c7d8e"},
		{name: "lambda, old interface naming no function", typ: "lambda", desc: "AWS Lambda VPC ENI: " + uuid, managed: true, want: "lambda"},
		{name: "NAT gateway", typ: "nat_gateway", desc: "Interface for NAT Gateway nat-0e1f2a3b4c5d6e7f8", managed: true, want: "nat:nat-0e1f2a3b4c5d6e7f8"},
		{name: "NAT gateway, SDK type spelling, no description", typ: "natGateway", managed: true, want: "nat_gateway"},
		{name: "interface endpoint", typ: "vpc_endpoint", desc: "VPC Endpoint Interface vpce-0d8ddce4be80e4474", requester: "amazon-vpce", managed: true, want: "vpce:vpce-0d8ddce4be80e4474"},
		{name: "interface endpoint, colon variant", typ: "interface", desc: "VPC Endpoint Interface: vpce-0f00567fa8477a1e6", managed: true, want: "vpce:vpce-0f00567fa8477a1e6"},
		{name: "gateway load balancer endpoint", typ: "gateway_load_balancer_endpoint", desc: "VPC Endpoint Interface vpce-078221a1e27d1ea5b", managed: true, want: "vpce:vpce-078221a1e27d1ea5b"},
		{name: "gateway load balancer endpoint without description", typ: "gateway_load_balancer_endpoint", managed: true, want: "gateway_load_balancer_endpoint"},
		{name: "ECS task on Fargate", typ: "interface", desc: "arn:aws:ecs:us-east-1:123456789012:attachment/" + uuid, requester: "578734482556", managed: true, want: "ecs:task-attachment/" + uuid},
		{name: "ECS task on an EC2 container instance", typ: "interface", desc: "arn:aws:ecs:eu-west-1:123456789012:attachment/" + uuid, requester: "amazon-ecs", managed: true, attach: onInstance, want: "ecs:task-attachment/" + uuid},
		{name: "ECS task in GovCloud", typ: "interface", desc: "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:attachment/" + uuid, managed: true, want: "ecs:task-attachment/" + uuid},
		{name: "an ARN of another service is not ECS", typ: "interface", desc: "arn:aws:iam::123456789012:role/x", requester: "amazon-aws", managed: true, want: "requester:amazon-aws"},
		{name: "RDS", typ: "interface", desc: "RDSNetworkInterface", requester: "amazon-rds", managed: true, want: "rds"},
		{name: "RDS proxy", typ: "interface", desc: "Network interface for DBProxy orders-proxy", requester: "amazon-rds", managed: true, want: "rds:proxy/orders-proxy"},
		{name: "EFS mount target", typ: "efs", desc: "EFS mount target for fs-0123abcd (fsmt-0456ef01)", managed: true, want: "efs:fs-0123abcd"},
		{name: "transit gateway attachment", typ: "transit_gateway", desc: "Network Interface for Transit Gateway Attachment tgw-attach-0a1b2c3d4e5f60718", managed: true, want: "tgw:tgw-attach-0a1b2c3d4e5f60718"},
		{name: "transit gateway without description", typ: "transit_gateway", managed: true, want: "transit_gateway"},
		{name: "ElastiCache node", typ: "interface", desc: "ElastiCache sessions-0001-001", requester: "amazon-elasticache", managed: true, want: "elasticache:sessions-0001-001"},
		{name: "ElastiCache, old plus form", typ: "interface", desc: "ElastiCache+legacy-cache", requester: "amazon-elasticache", managed: true, want: "elasticache:legacy-cache"},
		{name: "Directory Service", typ: "interface", desc: "AWS created network interface for directory d-9067012345", managed: true, want: "ds:d-9067012345"},
		{name: "EKS control plane", typ: "interface", desc: "Amazon EKS prod-cluster", managed: true, want: "eks:prod-cluster"},
		{name: "Route 53 Resolver inbound endpoint", typ: "interface", desc: "Route 53 Resolver: rslvr-in-55829d25693e4b729:rni-9494385465134fa5a", managed: true, want: "route53resolver:rslvr-in-55829d25693e4b729"},
		{name: "Route 53 Resolver outbound endpoint", typ: "interface", desc: "Route 53 Resolver: rslvr-out-9bb0d69b4dd94f918:rni-51f53f6ef7b6436f8", managed: true, want: "route53resolver:rslvr-out-9bb0d69b4dd94f918"},
		{name: "API Gateway VPC link", typ: "interface", desc: "ENI managed by APIGateway", managed: true, want: "apigateway"},
		{name: "API Gateway managed type", typ: "api_gateway_managed", managed: true, want: "apigateway"},
		{name: "Redshift", typ: "interface", desc: "RedshiftNetworkInterface", requester: "amazon-redshift", managed: true, want: "redshift"},
		{name: "OpenSearch domain", typ: "interface", desc: "ES logs-domain", requester: "amazon-elasticsearch", managed: true, want: "opensearch:logs-domain"},
		{name: "FSx file system", typ: "interface", desc: "ENI for Amazon FSx file system fs-0123456789abcdef0", managed: true, want: "fsx:fs-0123456789abcdef0"},
		{name: "Client VPN endpoint", typ: "interface", desc: "ClientVPN Endpoint cvpn-endpoint-0a1b2c3d4e5f60718", managed: true, want: "clientvpn:cvpn-endpoint-0a1b2c3d4e5f60718"},
		{name: "Client VPN endpoint, longer description", typ: "interface", desc: "ClientVPN Endpoint resource (cvpn-endpoint-0a1b2c3d4e5f60718)", managed: true, want: "clientvpn:cvpn-endpoint-0a1b2c3d4e5f60718"},
		{name: "Global Accelerator", typ: "global_accelerator_managed", desc: "GlobalAccelerator", managed: true, want: "globalaccelerator"},
		{name: "QuickSight, by type", typ: "quicksight", managed: true, want: "quicksight"},
		{name: "EKS pod branch interface, by type", typ: "branch", desc: "aws-k8s-branch-eni", managed: true, want: "branch"},
		{name: "unknown service, by requester", typ: "interface", desc: "something new", requester: "amazon-aws", managed: true, want: "requester:amazon-aws"},
		{name: "unknown service, no requester", typ: "interface", desc: "something new", managed: true, want: "interface"},
	}
	if len(tests) < 25 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ni := &inventory.NetworkInterface{
				NetworkInterfaceID: "eni-0123456789abcdef0",
				InterfaceType:      tt.typ,
				Description:        tt.desc,
				RequesterID:        tt.requester,
				RequesterManaged:   tt.managed,
				Attachment:         tt.attach,
			}
			if got := inventory.Resource(ni); got != tt.want {
				t.Errorf("Resource(type %q, description %q) = %q, want %q", tt.typ, tt.desc, got, tt.want)
			}
		})
	}
}
