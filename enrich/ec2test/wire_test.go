package ec2test_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/flowhec/flowhec/enrich/ec2test"
)

// post sends a Query request as the SDK would, signed (as far as the fake
// looks) with the static key in region.
func post(t *testing.T, s *ec2test.Server, region string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+ec2test.AccessKeyID+"/20250101/"+region+
		"/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestWireShape: the documents on the wire are EC2's, byte for byte where
// it matters to a parser: the namespace, requestId, item sets, and the
// error document.
func TestWireShape(t *testing.T) {
	s := newServer(t, ec2test.Fleet([]string{acctA}, []string{"us-east-1"}, 3))
	status, body := post(t, s, "us-east-1", url.Values{
		"Action": {"DescribeNetworkInterfaces"}, "Version": {ec2test.EC2Version}, "MaxResults": {"5"},
		"Filter.1.Name": {"interface-type"}, "Filter.1.Value.1": {"lambda"},
	})
	for _, want := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>`,
		`<networkInterfaceSet><item><networkInterfaceId>eni-`,
		`<requesterManaged>true</requesterManaged>`,
		`<groupSet><item><groupId>sg-`,
		`<tagSet></tagSet>`,
		`<privateIpAddressesSet><item><privateIpAddress>10.0.128.5</privateIpAddress>`,
		`<primary>true</primary>`,
		`<interfaceType>lambda</interfaceType>`,
	} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("status %d, body lacks %s:\n%s", status, want, body)
		}
	}
	if strings.Contains(body, "<nextToken>") {
		t.Error("a last page has a nextToken")
	}

	s.ThrottleNext(1)
	status, body = post(t, s, "us-east-1", url.Values{"Action": {"DescribeVpcs"}, "Version": {ec2test.EC2Version}})
	if status != 503 || !strings.Contains(body,
		`<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>`) {
		t.Errorf("throttle: %d %s", status, body)
	}

	for _, tc := range []struct {
		form   url.Values
		status int
		code   string
	}{
		{url.Values{"Action": {"DescribeVpcs"}}, 400, "MissingParameter"},
		{url.Values{"Action": {"DescribeVpcs"}, "Version": {"2014-01-01"}}, 400, "NoSuchVersion"},
		{url.Values{"Action": {"TerminateInstances"}, "Version": {ec2test.EC2Version}}, 400, "InvalidAction"},
		{url.Values{"Action": {"DescribeVpcs"}, "Version": {ec2test.EC2Version}, "Filter.1.Name": {"vpc-id"}}, 400, "InvalidParameterValue"},
		{url.Values{"Action": {"DescribeRouteTables"}, "Version": {ec2test.EC2Version}, "MaxResults": {"500"}}, 400, "InvalidParameterValue"},
	} {
		status, body := post(t, s, "us-east-1", tc.form)
		if status != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
			t.Errorf("%v: %d %s, want %d %s", tc.form, status, body, tc.status, tc.code)
		}
	}
}
