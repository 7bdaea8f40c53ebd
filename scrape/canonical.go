package scrape

import (
	"net/url"
	"regexp"
	"strings"

	"mediadigest/profile"
)

// Canonical resolves raw (absolute, or relative to the outlet's base URL)
// into the one URL the article is stored under, and reports whether it is
// an article of the outlet at all. On the outlet's own hosts the scheme and
// host become the base URL's, the fragment and tracking parameters go, and
// with a profile "canonical" template the path is rebuilt from the article
// id (slugs, AMP copies and every query dropped). Links elsewhere come back
// resolved but untouched, and not articles.
func Canonical(o Outlet, raw string) (canonical string, isArticle bool) {
	base, err := url.Parse(o.BaseURL)
	if err != nil {
		return "", false
	}
	u, err := base.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	u.Fragment, u.RawFragment = "", ""
	if !ownHost(base, o.Profile, u) {
		return u.String(), false
	}
	u.Scheme, u.Host = base.Scheme, base.Host
	dropTracking(u)

	p := o.Profile
	id, ok := articleID(p, u)
	if ok && p.Canonical != "" {
		u.Path, u.RawPath = strings.ReplaceAll(p.Canonical, "{id}", id), ""
		u.RawQuery = ""
	}
	return u.String(), ok
}

// ownHost reports whether u is served by the outlet: the base URL's host
// (port included, for loopback) or one of the profile's alias hosts.
func ownHost(base *url.URL, p *profile.Profile, u *url.URL) bool {
	if strings.EqualFold(u.Host, base.Host) {
		return true
	}
	for _, h := range p.Hosts {
		if strings.EqualFold(u.Host, h) {
			return true
		}
	}
	return false
}

// articleID matches the path (then path and query) against the profile's
// article patterns and returns the first group, "" when there is none.
func articleID(p *profile.Profile, u *url.URL) (string, bool) {
	candidates := []string{u.Path}
	if u.RawQuery != "" {
		candidates = append(candidates, u.Path+"?"+u.RawQuery)
	}
	patterns := append([]string{p.ArticleURL}, p.ArticleAliases...)
	for _, expr := range patterns {
		if expr == "" {
			continue
		}
		// Parse validated every pattern; a failure here means a profile
		// built by hand, which simply matches nothing.
		re, err := regexp.Compile(expr)
		if err != nil {
			continue
		}
		for _, c := range candidates {
			if m := re.FindStringSubmatch(c); m != nil {
				if len(m) > 1 {
					return m[1], true
				}
				return "", true
			}
		}
	}
	return "", false
}

// dropTracking removes campaign and click-id parameters, which only say how
// a reader arrived.
func dropTracking(u *url.URL) {
	if u.RawQuery == "" {
		return
	}
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || lk == "fbclid" || lk == "gclid" {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
}
