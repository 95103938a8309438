package flowgen

import (
	"io"

	"github.com/flowhec/flowhec/enrich/inventory"
)

// The generator writes its fleet in the static inventory schema of the
// enrichment package, so that its samples can be enriched like real data.
type (
	Inventory        = inventory.Inventory
	Account          = inventory.Account
	VPC              = inventory.VPC
	Subnet           = inventory.Subnet
	NetworkInterface = inventory.NetworkInterface
	SecurityGroup    = inventory.SecurityGroup
	Attachment       = inventory.Attachment
	Instance         = inventory.Instance
)

// ReadInventory reads an inventory file; see inventory.ReadInventory.
func ReadInventory(r io.Reader) (*Inventory, error) { return inventory.ReadInventory(r) }
