package awsinv_test

import (
	"context"
	"fmt"

	"github.com/flowhec/flowhec/enrich/awsinv"
	"github.com/flowhec/flowhec/enrich/ec2test"
	"github.com/flowhec/flowhec/enrich/inventory"
)

// Load reads two accounts, each through its role, in two regions, from a
// loopback EC2 and STS.
func ExampleLoader_Load() {
	fake := ec2test.NewServer(ec2test.Config{})
	defer fake.Close()
	fake.SetInventory(ec2test.Fleet([]string{"222222222222", "333333333333"}, []string{"us-east-1", "eu-west-1"}, 3))

	cfg := awsinv.DefaultConfig()
	cfg.Regions = []string{"us-east-1", "eu-west-1"}
	cfg.RoleARNs = []string{
		"arn:aws:iam::222222222222:role/flowhec-reader",
		"arn:aws:iam::333333333333:role/flowhec-reader",
	}
	l, err := awsinv.New(context.Background(), cfg, awsinv.WithAWSConfig(fake.AWSConfig("us-east-1")))
	if err != nil {
		fmt.Println(err)
		return
	}
	inv, err := l.Load(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(inv.GeneratedBy)
	for _, a := range inv.Accounts {
		fmt.Println("account", a.AccountID)
	}
	for _, ni := range inv.NetworkInterfaces[:2] {
		fmt.Println(ni.AccountID, ni.Region, ni.PrivateIPAddresses[0], ni.InterfaceType)
	}
	fmt.Println(len(inv.NetworkInterfaces), "interfaces,", len(inv.Instances), "instances")
	// Output:
	// flowhec inventory export
	// account 222222222222
	// account 333333333333
	// 222222222222 us-east-1 10.0.128.4 interface
	// 222222222222 us-east-1 10.0.128.5 lambda
	// 12 interfaces, 8 instances
}

// A Refresher keeps the index fresh and a Resolver fills its gaps between
// refreshes; both run until their context ends.
func ExampleRefresher() {
	fake := ec2test.NewServer(ec2test.Config{})
	defer fake.Close()
	fleet := ec2test.Fleet([]string{ec2test.DefaultAccount}, []string{"us-east-1"}, 2)
	fake.SetInventory(fleet)

	cfg := awsinv.DefaultConfig()
	cfg.Regions = []string{"us-east-1"}
	l, err := awsinv.New(context.Background(), cfg, awsinv.WithAWSConfig(fake.AWSConfig("us-east-1")))
	if err != nil {
		fmt.Println(err)
		return
	}
	updated := make(chan int, 1)
	r := awsinv.NewRefresher(l, func(inv *inventory.Inventory) {
		// Build the index and swap it in (enrich.Enricher.Update).
		select {
		case updated <- len(inv.NetworkInterfaces):
		default:
		}
	})
	res := awsinv.NewResolver(l, func(f awsinv.Found) { _ = r.Extend(f) })

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = r.Run(ctx); done <- struct{}{} }()
	go func() { _ = res.Run(ctx); done <- struct{}{} }()
	fmt.Println(<-updated, "interfaces")
	cancel()
	<-done
	<-done
	// Output:
	// 2 interfaces
}
