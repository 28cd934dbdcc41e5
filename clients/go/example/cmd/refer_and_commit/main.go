// refer_and_commit runs the example against a hotspotd:
//
//	HOTSPOT_SERVER=127.0.0.1:50051 HOTSPOT_TOKEN=<the chief's token> refer_and_commit
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
	c, err := client.Dial(target, os.Getenv("HOTSPOT_TOKEN"), client.Options{Purpose: "case_coordination: follow up on a new referral"})
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
