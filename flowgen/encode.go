package flowgen

import (
	"net/netip"
	"strconv"

	"github.com/flowhec/flowhec/flowlog"
)

type logStatus uint8

const (
	statusOK logStatus = iota
	statusNoData
	statusSkipData
)

// awsService is a value of pkt-src-aws-service and pkt-dst-aws-service.
type awsService uint8

const (
	svcNone awsService = iota
	svcS3
	svcDynamoDB
)

var serviceNames = [...]string{"-", "S3", "DYNAMODB"}

// TCP flags as flow logs report them: the OR of the flags seen in the
// aggregation window, where ACK only shows as part of SYN-ACK.
const (
	flagFIN    = 1
	flagSYN    = 2
	flagRST    = 4
	flagSYNACK = 18
)

// record is one flow-log record before it is written in a format.
type record struct {
	ifc            *iface
	src, dst       netip.Addr
	pktSrc, pktDst netip.Addr // zero: the same as src and dst
	srcPort        uint16
	dstPort        uint16
	proto          uint8
	flags          uint8
	packets, bytes uint64
	start, end     int64
	reject         bool
	bpa            bool // rejected by VPC Block Public Access
	status         logStatus
	egress         bool
	path           uint8 // traffic-path of an egress record; 0 writes "-"
	enc            uint8 // encryption-status
	srcSvc, dstSvc awsService
	nextHop        netip.Addr
	nextHopRes     string
}

// identityField marks the fields a NODATA or SKIPDATA record still has:
// those that describe the interface and the window, not the traffic.
var identityField = func() (m [flowlog.NumFields]bool) {
	for _, f := range []flowlog.Field{
		flowlog.Version, flowlog.AccountID, flowlog.InterfaceID, flowlog.Start, flowlog.End, flowlog.LogStatus,
		flowlog.VPCID, flowlog.SubnetID, flowlog.InstanceID, flowlog.Region, flowlog.AZID,
		flowlog.ECSClusterARN, flowlog.ECSClusterName, flowlog.ECSContainerInstanceARN, flowlog.ECSContainerInstanceID,
		flowlog.ECSContainerID, flowlog.ECSSecondContainerID, flowlog.ECSServiceName, flowlog.ECSTaskDefinitionARN,
		flowlog.ECSTaskARN, flowlog.ECSTaskID, flowlog.ResourceID,
	} {
		m[f] = true
	}
	return m
}()

// encoder writes records in one format.
type encoder struct {
	cols    []flowlog.Field
	version string
	region  string
	vpcID   string
}

func newEncoder(f *flowlog.Format, region, vpcID string) *encoder {
	e := &encoder{cols: make([]flowlog.Field, f.Len()), region: region, vpcID: vpcID}
	for i := range e.cols {
		e.cols[i] = f.Field(i)
	}
	e.version = strconv.Itoa(f.Version())
	return e
}

func appendStr(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '-')
	}
	return append(dst, s...)
}

func appendAddr(dst []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(dst, '-')
	}
	return a.AppendTo(dst)
}

// append appends r as one line, ending in '\n'.
func (e *encoder) append(dst []byte, r *record) []byte {
	ifc := r.ifc
	ok := r.status == statusOK
	for i, f := range e.cols {
		if i > 0 {
			dst = append(dst, ' ')
		}
		if !ok && !identityField[f] {
			dst = append(dst, '-')
			continue
		}
		switch f {
		case flowlog.Version:
			dst = append(dst, e.version...)
		case flowlog.AccountID:
			dst = append(dst, ifc.account...)
		case flowlog.InterfaceID:
			dst = append(dst, ifc.id...)
		case flowlog.SrcAddr:
			dst = r.src.AppendTo(dst)
		case flowlog.DstAddr:
			dst = r.dst.AppendTo(dst)
		case flowlog.SrcPort:
			dst = strconv.AppendUint(dst, uint64(r.srcPort), 10)
		case flowlog.DstPort:
			dst = strconv.AppendUint(dst, uint64(r.dstPort), 10)
		case flowlog.Protocol:
			dst = strconv.AppendUint(dst, uint64(r.proto), 10)
		case flowlog.Packets:
			dst = strconv.AppendUint(dst, r.packets, 10)
		case flowlog.Bytes:
			dst = strconv.AppendUint(dst, r.bytes, 10)
		case flowlog.Start:
			dst = strconv.AppendInt(dst, r.start, 10)
		case flowlog.End:
			dst = strconv.AppendInt(dst, r.end, 10)
		case flowlog.Action:
			if r.reject {
				dst = append(dst, "REJECT"...)
			} else {
				dst = append(dst, "ACCEPT"...)
			}
		case flowlog.LogStatus:
			switch r.status {
			case statusOK:
				dst = append(dst, "OK"...)
			case statusNoData:
				dst = append(dst, "NODATA"...)
			default:
				dst = append(dst, "SKIPDATA"...)
			}
		case flowlog.VPCID:
			dst = append(dst, e.vpcID...)
		case flowlog.SubnetID:
			dst = append(dst, ifc.sub.id...)
		case flowlog.InstanceID:
			dst = appendStr(dst, ifc.instanceID)
		case flowlog.TCPFlags:
			dst = strconv.AppendUint(dst, uint64(r.flags), 10)
		case flowlog.TrafficType:
			if r.src.Is4() {
				dst = append(dst, "IPv4"...)
			} else {
				dst = append(dst, "IPv6"...)
			}
		case flowlog.PktSrcAddr:
			if r.pktSrc.IsValid() {
				dst = r.pktSrc.AppendTo(dst)
			} else {
				dst = r.src.AppendTo(dst)
			}
		case flowlog.PktDstAddr:
			if r.pktDst.IsValid() {
				dst = r.pktDst.AppendTo(dst)
			} else {
				dst = r.dst.AppendTo(dst)
			}
		case flowlog.Region:
			dst = append(dst, e.region...)
		case flowlog.AZID:
			dst = append(dst, ifc.sub.azID...)
		case flowlog.PktSrcAWSService:
			dst = append(dst, serviceNames[r.srcSvc]...)
		case flowlog.PktDstAWSService:
			dst = append(dst, serviceNames[r.dstSvc]...)
		case flowlog.FlowDirection:
			if r.egress {
				dst = append(dst, "egress"...)
			} else {
				dst = append(dst, "ingress"...)
			}
		case flowlog.TrafficPath:
			if r.egress && r.path != 0 {
				dst = strconv.AppendUint(dst, uint64(r.path), 10)
			} else {
				dst = append(dst, '-')
			}
		case flowlog.RejectReason:
			if r.reject && r.bpa {
				dst = append(dst, "BPA"...)
			} else {
				dst = append(dst, '-')
			}
		case flowlog.ResourceID:
			dst = appendStr(dst, ifc.resourceID)
		case flowlog.EncryptionStatus:
			dst = strconv.AppendUint(dst, uint64(r.enc), 10)
		case flowlog.NextHop:
			if r.egress {
				dst = appendAddr(dst, r.nextHop)
			} else {
				dst = append(dst, '-')
			}
		case flowlog.NextHopResourceID:
			if r.egress {
				dst = appendStr(dst, r.nextHopRes)
			} else {
				dst = append(dst, '-')
			}
		case flowlog.ECSClusterARN, flowlog.ECSClusterName, flowlog.ECSContainerInstanceARN,
			flowlog.ECSContainerInstanceID, flowlog.ECSContainerID, flowlog.ECSSecondContainerID,
			flowlog.ECSServiceName, flowlog.ECSTaskDefinitionARN, flowlog.ECSTaskARN, flowlog.ECSTaskID:
			dst = appendECS(dst, f, ifc.ecs)
		default:
			// Sublocation and Transit Gateway fields do not apply to the
			// interfaces of a VPC without Outposts or Wavelength; fields
			// this package does not know are "-" too.
			dst = append(dst, '-')
		}
	}
	return append(dst, '\n')
}

func appendECS(dst []byte, f flowlog.Field, m *ecsMeta) []byte {
	if m == nil {
		return append(dst, '-')
	}
	var s string
	switch f {
	case flowlog.ECSClusterARN:
		s = m.clusterARN
	case flowlog.ECSClusterName:
		s = m.clusterName
	case flowlog.ECSContainerInstanceARN:
		s = m.containerInstanceARN
	case flowlog.ECSContainerInstanceID:
		s = m.containerInstanceID
	case flowlog.ECSContainerID:
		s = m.containerID
	case flowlog.ECSSecondContainerID:
		s = m.secondContainerID
	case flowlog.ECSServiceName:
		s = m.serviceName
	case flowlog.ECSTaskDefinitionARN:
		s = m.taskDefARN
	case flowlog.ECSTaskARN:
		s = m.taskARN
	case flowlog.ECSTaskID:
		s = m.taskID
	}
	return appendStr(dst, s)
}
