package derive_test

import (
	"fmt"
	"log"
	"net/netip"

	"github.com/flowhec/flowhec/enrich/derive"
	"github.com/flowhec/flowhec/flowlog"
)

func ExampleDeriver_Derive() {
	// The VPC's CIDR block; without one, the RFC 1918, RFC 6598 and ULA
	// networks are inside. An *ipranges.Table's Contains would tell AWS's
	// addresses; here nothing is AWS's.
	d, err := derive.New(derive.Config{Inside: []netip.Prefix{netip.MustParsePrefix("172.31.0.0/16")}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	var rec flowlog.Record
	line := "2 123456789010 eni-0a1b2c3d 198.51.100.7 172.31.1.67 49152 80 6 1 40 1418530010 1418530030 REJECT OK"
	if err := flowlog.DefaultFormat().Parse([]byte(line), &rec); err != nil {
		log.Fatal(err)
	}
	var f derive.Fields
	d.Derive(&rec, &f)
	fmt.Println("action:", f.Action)
	fmt.Println("protocol:", f.Protocol, f.ProtocolVersion)
	fmt.Println("transport:", f.Transport)
	fmt.Println("direction:", f.Direction.CIM())
	fmt.Println("duration:", f.Duration)
	fmt.Println("scopes:", f.SrcScope, f.DestScope)
	// Output:
	// action: blocked
	// protocol: ip ipv4
	// transport: tcp
	// direction: inbound
	// duration: 20
	// scopes: public private
}

func ExampleTCPFlags() {
	for _, v := range []uint64{2, 18, 19, 3, 4} {
		fmt.Println(v, derive.TCPFlags(v))
	}
	// Output:
	// 2 [SYN]
	// 18 [SYN ACK]
	// 19 [FIN SYN ACK]
	// 3 [FIN SYN]
	// 4 [RST]
}
