package main

import (
	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/services/documents"
	"github.com/gaoxing-gov/gaoxing/services/identity"
	"github.com/gaoxing-gov/gaoxing/services/legalaid"
	"github.com/gaoxing-gov/gaoxing/services/matters"
	"github.com/gaoxing-gov/gaoxing/services/stewardship"
	"github.com/gaoxing-gov/gaoxing/services/tickets"
)

// registry is every service `gaoxing up` runs, in start order. Adding a service is one
// line here.
var registry = []app.Service{
	identity.New(),
	documents.New(),
	matters.New(),
	tickets.New(),
	legalaid.New(),
	// The enterprise register, stewards and the arrears ledger; on first start it loads
	// the demonstration register and the 502-entry ledger.
	stewardship.New(stewardship.WithDemoData()),
}
