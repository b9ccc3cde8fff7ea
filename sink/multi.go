package sink

import "errors"

// Multi writes every batch to each of ws in turn.
func Multi(ws ...Writer) Writer { return multi(ws) }

type multi []Writer

func (m multi) Write(b *Batch) error {
	var errs []error
	for _, w := range m {
		if err := w.Write(b); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m multi) Close() error {
	var errs []error
	for _, w := range m {
		if err := w.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
