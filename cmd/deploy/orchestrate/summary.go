package orchestrate

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteSummary prints what ran, what changed and what failed, one line per
// stack operation in the order they were planned.
func WriteSummary(out io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tSTACK\tOP\tRESULT\tCHANGES\tTIME")
	for _, r := range results {
		duration := "-"
		if r.Status != Skipped {
			duration = r.Duration.Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Stage, r.Stack, r.Op, r.Status, formatChanges(r.Changes), duration)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		switch {
		case r.Status == Failed:
			if _, err := fmt.Fprintf(out, "\n%s %s failed: %v\n", r.Op, r.Stack, r.Err); err != nil {
				return err
			}
		case r.Note != "":
			if _, err := fmt.Fprintf(out, "\n%s %s skipped: %s\n", r.Op, r.Stack, r.Note); err != nil {
				return err
			}
		}
	}
	return nil
}

// formatChanges shows counts such as "create 3, same 5", sorted by kind.
func formatChanges(c Changes) string {
	if len(c) == 0 {
		return "-"
	}
	kinds := make([]string, 0, len(c))
	for k := range c {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, c[k]))
	}
	return strings.Join(parts, ", ")
}
