package inventory

import "strings"

// Resource says what owns a network interface that an AWS service created
// in the VPC (a requester-managed or service interface), in a short
// "kind:name" form: "elb:app/web-prod", "nat:nat-0abc…", "lambda:orders-fn",
// "ecs:task-attachment/UUID", "rds", "vpce:vpce-0abc…". An instance's own
// interface — attached to an instance and not requester-managed — has
// Resource "": its owner is the instance, whatever its free-text
// description says.
//
// The owner is told from the description AWS writes, which is the only
// place most services name the resource; then from the interface type;
// then from the requester ID ("requester:amazon-elb"). The descriptions
// recognised, and what they give:
//
//	ELB app/NAME/ID                          elb:app/NAME
//	ELB net/NAME/ID                          elb:net/NAME
//	ELB gwy/NAME/ID                          elb:gwy/NAME
//	ELB NAME (classic load balancer)         elb:classic/NAME
//	AWS Lambda VPC ENI-FUNCTION-UUID         lambda:FUNCTION
//	Interface for NAT Gateway nat-…          nat:nat-…
//	VPC Endpoint Interface vpce-…            vpce:vpce-…
//	arn:PARTITION:ecs:…:attachment/UUID      ecs:task-attachment/UUID
//	RDSNetworkInterface                      rds
//	Network interface for DBProxy NAME       rds:proxy/NAME
//	EFS mount target for fs-… (fsmt-…)       efs:fs-…
//	Network Interface for Transit Gateway
//	  Attachment tgw-attach-…                tgw:tgw-attach-…
//	ElastiCache ID                           elasticache:ID
//	AWS created network interface for
//	  directory d-…                          ds:d-…
//	Amazon EKS CLUSTER                       eks:CLUSTER
//	Route 53 Resolver: rslvr-in-…:rni-…      route53resolver:rslvr-in-…
//	ENI managed by APIGateway                apigateway
//	RedshiftNetworkInterface                 redshift
//	ES DOMAIN (OpenSearch)                   opensearch:DOMAIN
//	… FSx … fs-…                             fsx:fs-…
//	ClientVPN Endpoint … cvpn-endpoint-…     clientvpn:cvpn-endpoint-…
//
// and by interface type alone: api_gateway_managed → apigateway,
// global_accelerator_managed → globalaccelerator, any other type but
// "interface" → the type itself (nat_gateway, gateway_load_balancer_endpoint,
// quicksight, branch, …). A requester-managed "interface" that none of this
// names is "requester:REQUESTER_ID".
func Resource(ni *NetworkInterface) string {
	typ := normalType(ni.InterfaceType)
	onInstance := ni.Attachment != nil && ni.Attachment.InstanceID != ""
	if onInstance && !ni.RequesterManaged {
		return ""
	}
	if r := resourceFromDescription(strings.TrimSpace(ni.Description)); r != "" {
		return r
	}
	switch typ {
	case "", "interface":
	case "api_gateway_managed":
		return "apigateway"
	case "global_accelerator_managed":
		return "globalaccelerator"
	default:
		return typ
	}
	switch {
	case ni.RequesterID != "":
		return "requester:" + ni.RequesterID
	case ni.RequesterManaged:
		return "interface"
	}
	return ""
}

// normalType folds the two spellings EC2 uses for one interface type: the
// API answers "nat_gateway", some SDK enums say "natGateway".
func normalType(t string) string {
	if t == "natGateway" {
		return "nat_gateway"
	}
	return t
}

func resourceFromDescription(d string) string {
	switch {
	case d == "":
		return ""
	case d == "RDSNetworkInterface":
		return "rds"
	case d == "RedshiftNetworkInterface":
		return "redshift"
	case d == "ENI managed by APIGateway":
		return "apigateway"
	}
	if rest, ok := strings.CutPrefix(d, "ELB "); ok {
		return elbResource(rest)
	}
	if rest, ok := strings.CutPrefix(d, "AWS Lambda VPC ENI"); ok {
		return lambdaResource(rest)
	}
	if rest, ok := strings.CutPrefix(d, "Interface for NAT Gateway "); ok {
		return prefixed("nat:", firstToken(rest))
	}
	if rest, ok := strings.CutPrefix(d, "VPC Endpoint Interface"); ok {
		// AWS writes both "VPC Endpoint Interface vpce-…" and
		// "VPC Endpoint Interface: vpce-…".
		return prefixed("vpce:", firstToken(strings.TrimPrefix(strings.TrimSpace(rest), ":")))
	}
	if r := ecsResource(d); r != "" {
		return r
	}
	if rest, ok := strings.CutPrefix(d, "Network interface for DBProxy"); ok {
		if name := firstToken(rest); name != "" {
			return "rds:proxy/" + name
		}
		return "rds:proxy"
	}
	if rest, ok := strings.CutPrefix(d, "EFS mount target for "); ok {
		return prefixed("efs:", firstToken(rest))
	}
	if rest, ok := strings.CutPrefix(d, "Network Interface for Transit Gateway Attachment "); ok {
		return prefixed("tgw:", firstToken(rest))
	}
	if rest, ok := strings.CutPrefix(d, "ElastiCache"); ok {
		// "ElastiCache my-cluster-0001-001"; older interfaces say
		// "ElastiCache+my-cluster".
		rest = strings.TrimSpace(strings.TrimPrefix(rest, "+"))
		return prefixed("elasticache:", rest)
	}
	if rest, ok := strings.CutPrefix(d, "AWS created network interface for directory "); ok {
		return prefixed("ds:", strings.TrimSuffix(firstToken(rest), "."))
	}
	if rest, ok := strings.CutPrefix(d, "Amazon EKS "); ok {
		return prefixed("eks:", firstToken(rest))
	}
	if rest, ok := strings.CutPrefix(d, "Route 53 Resolver:"); ok {
		// "Route 53 Resolver: rslvr-in-ID:rni-ID" names the endpoint
		// and then its interface; the endpoint is the resource.
		id, _, _ := strings.Cut(firstToken(rest), ":")
		return prefixed("route53resolver:", id)
	}
	if rest, ok := strings.CutPrefix(d, "ES "); ok {
		return prefixed("opensearch:", firstToken(rest))
	}
	if strings.HasPrefix(d, "ClientVPN") {
		if id := tokenWithPrefix(d, "cvpn-endpoint-"); id != "" {
			return "clientvpn:" + id
		}
		return "clientvpn"
	}
	if strings.Contains(d, "FSx") {
		if id := tokenWithPrefix(d, "fs-"); id != "" {
			return "fsx:" + id
		}
		return "fsx"
	}
	return ""
}

// elbResource names a load balancer from what follows "ELB ": TYPE/NAME/ID
// for application, network and gateway load balancers, the bare name for a
// classic one.
func elbResource(rest string) string {
	rest = firstToken(rest)
	if rest == "" {
		return ""
	}
	kind, nameID, ok := strings.Cut(rest, "/")
	if !ok {
		return "elb:classic/" + rest
	}
	name, _, _ := strings.Cut(nameID, "/")
	switch kind {
	case "app", "net", "gwy":
		if name == "" {
			return "elb:" + kind
		}
		return "elb:" + kind + "/" + name
	}
	return "elb:" + rest
}

// lambdaResource names the function from what follows "AWS Lambda VPC ENI":
// "-FUNCTION-UUID". Function names may themselves contain dashes (and
// digits, and hex-looking words), so only a trailing, complete UUID is cut
// off. Interfaces from before shared (Hyperplane) interfaces are described
// "AWS Lambda VPC ENI: UUID" and name no function.
func lambdaResource(rest string) string {
	fn, ok := strings.CutPrefix(rest, "-")
	if !ok {
		return "lambda"
	}
	if n := len(fn) - 37; n > 0 && fn[n] == '-' && isUUID(fn[n+1:]) {
		fn = fn[:n]
	}
	return prefixed("lambda:", fn)
}

// ecsResource names the task attachment of an ECS task interface (awsvpc
// network mode): "arn:PARTITION:ecs:REGION:ACCOUNT:attachment/UUID".
func ecsResource(d string) string {
	rest, ok := strings.CutPrefix(d, "arn:")
	if !ok {
		return ""
	}
	parts := strings.SplitN(rest, ":", 5) // partition, service, region, account, resource
	if len(parts) != 5 || parts[1] != "ecs" {
		return ""
	}
	id, ok := strings.CutPrefix(parts[4], "attachment/")
	if !ok || id == "" {
		return "ecs"
	}
	return "ecs:task-attachment/" + id
}

// isUUID reports whether s is a UUID in its 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// firstToken is s up to its first blank, leading blanks skipped.
func firstToken(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i]
	}
	return s
}

// tokenWithPrefix returns the first blank-separated word of s that starts
// with prefix (and has more after it), trimmed of punctuation around it.
func tokenWithPrefix(s, prefix string) string {
	for _, w := range strings.Fields(s) {
		w = strings.Trim(w, "()[],.;:")
		if len(w) > len(prefix) && strings.HasPrefix(w, prefix) {
			return w
		}
	}
	return ""
}

// prefixed is kind+id, or "" when id is empty so that the caller falls
// back to the interface type.
func prefixed(kind, id string) string {
	if id == "" {
		return ""
	}
	return kind + id
}
