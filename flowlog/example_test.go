package flowlog_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flowhec/flowhec/flowlog"
)

func ExampleFormat_Parse() {
	var r flowlog.Record
	line := []byte("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
	if err := flowlog.DefaultFormat().Parse(line, &r); err != nil {
		fmt.Println(err)
		return
	}
	port, _ := r.Uint(flowlog.DstPort)
	src, _ := r.Addr(flowlog.SrcAddr)
	fmt.Println(src, port, r.IsAccept())
	fmt.Println(string(r.AppendJSON(nil)))
	// Output:
	// 172.31.16.139 22 true
	// {"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","src_ip":"172.31.16.139","dest_ip":"172.31.16.21","src_port":20641,"dest_port":22,"protocol_code":6,"packets":20,"bytes":4249,"start_time":1418530010,"end_time":1418530070,"vpcflow_action":"ACCEPT","log_status":"OK"}
}

func ExampleParseError() {
	var r flowlog.Record
	err := flowlog.DefaultFormat().Parse([]byte("2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 65536 6 1 40 1 2 ACCEPT OK"), &r)
	var pe *flowlog.ParseError
	if errors.As(err, &pe) && errors.Is(err, flowlog.ErrRange) {
		fmt.Println(pe.Field, pe.Column)
	}
	fmt.Println(err)
	// Output:
	// dstport 7
	// field 7 (dstport) "65536": out of range 0-65535
}

func ExampleNewReader() {
	// An S3 object starts with a header line that gives its format.
	object := `version srcaddr dstaddr dstport action tcp-flags
3 10.0.1.5 10.0.0.220 443 ACCEPT 19
3 10.0.1.5 10.0.0.220 99999 ACCEPT 2
`
	r := flowlog.NewReader(strings.NewReader(object), flowlog.ReaderOptions{Source: "s3://bucket/key"})
	for r.Next() {
		if err := r.LineErr(); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(string(r.Record().AppendJSON(nil)))
	}
	if err := r.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"version":3,"src_ip":"10.0.1.5","dest_ip":"10.0.0.220","dest_port":443,"vpcflow_action":"ACCEPT","tcp_flags":19}
	// s3://bucket/key:3: field 4 (dstport) "99999": out of range 0-65535
}
