// refer_and_commit runs the example against a hotspotd:
//
//	HOTSPOT_SERVER=127.0.0.1:50051 HOTSPOT_TOKEN=<the chief's token> refer_and_commit
//
// Over TLS, as hotspotctl: HOTSPOT_TLS_CA_FILE (the CA that signed hotspotd's certificate), and
// for mTLS HOTSPOT_TLS_CERT_FILE and HOTSPOT_TLS_KEY_FILE (a client certificate and its key).
package main

import (
	"context"
	"fmt"
	"os"

	"hotspot.example/clients/go/client"
	"hotspot.example/clients/go/example"
)

func main() {
	target := os.Getenv("HOTSPOT_SERVER") // the same variable as hotspotctl's
	if target == "" {
		target = "127.0.0.1:50051"
	}
	options := client.Options{Purpose: "case_coordination: follow up on a new referral"}
	files := client.TLSFiles{
		CAFile:   os.Getenv("HOTSPOT_TLS_CA_FILE"),
		CertFile: os.Getenv("HOTSPOT_TLS_CERT_FILE"),
		KeyFile:  os.Getenv("HOTSPOT_TLS_KEY_FILE"),
	}
	if files != (client.TLSFiles{}) {
		options.TLS = &files
	}
	c, err := client.Dial(target, os.Getenv("HOTSPOT_TOKEN"), options)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Close()
	_, open, err := example.ReferAndCommit(context.Background(), c)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, cv := range open {
		d := cv.DueDate
		fmt.Printf("%s  due %04d-%02d-%02d  %s\n", cv.CommitmentId, d.Year, d.Month, d.Day, cv.Action.GetText())
	}
}
