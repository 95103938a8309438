// Command flowhec reads AWS VPC flow logs, enriches them and delivers them to
// Splunk. See README.md for every subcommand.
package main
