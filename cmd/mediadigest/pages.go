package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	"mediadigest/desk"
	"mediadigest/subscription"
	"mediadigest/web"
)

// pages mounts every page readers reach on one handler, with the security
// headers: sign-in, the desk, the subscription pages.
func pages(a *app) (http.Handler, error) {
	mux := http.NewServeMux()
	a.site.Routes(mux)
	subs, err := subscription.NewPages(a.site, a.subs)
	if err != nil {
		return nil, err
	}
	subs.Routes(mux)
	dk, err := desk.New(a.site, a.store, a.stories, a.subs, searchEngine(a.cfg, a.store), desk.Options{Logger: a.log})
	if err != nil {
		return nil, err
	}
	dk.Routes(mux)
	return web.Secure(mux), nil
}

func linkCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	listen := fs.String("listen", "", "without http.public_url, link to serve's `ADDR` (as serve -listen) instead of http.listen")
	return func(ctx context.Context, args []string) error {
		if len(args) > 1 && slices.ContainsFunc(args[1:], func(a string) bool { return strings.HasPrefix(a, "-") }) {
			return usagef("flags go before EMAIL: link [-config FILE] [-listen ADDR] EMAIL")
		}
		if len(args) != 1 {
			return usagef("want one subscriber EMAIL")
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if a.site == nil {
			return usageError{a.noSite}
		}
		link, err := a.site.LoginURL(args[0])
		if err != nil {
			return usagef("%s: %v", args[0], err)
		}
		if !a.site.Public() {
			// Without http.public_url the desk is where serve listens.
			link = "http://" + dialable(cmp.Or(*listen, a.cfg.HTTP.Listen)) + link
		}
		fmt.Fprintln(e.stdout, link)
		fmt.Fprintf(e.stderr, "valid for %s; it opens a session of %s on the desk\n", a.cfg.HTTP.LoginTTL.D(), strings.TrimSpace(args[0]))
		return nil
	}
}

// dialable is a listen address as a browser on this machine reaches it:
// one with no host (":8080", every interface) on loopback.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}
