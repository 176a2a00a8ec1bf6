package main

import (
	"sort"
	"strings"
	"sync"
)

// Index is an in-memory inverted index of invoice descriptions.
type Index struct {
	mu    sync.RWMutex
	terms map[string]map[string]bool
}

func NewIndex() *Index { return &Index{terms: map[string]map[string]bool{}} }

func tokens(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

func (i *Index) Add(id, text string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, t := range tokens(text) {
		if i.terms[t] == nil {
			i.terms[t] = map[string]bool{}
		}
		i.terms[t][id] = true
	}
}

// Search returns the ids matching every term of the query, sorted.
func (i *Index) Search(query string) []string {
	i.mu.RLock()
	defer i.mu.RUnlock()
	var result map[string]bool
	for _, t := range tokens(query) {
		hits := i.terms[t]
		if result == nil {
			result = map[string]bool{}
			for id := range hits {
				result[id] = true
			}
			continue
		}
		for id := range result {
			if !hits[id] {
				delete(result, id)
			}
		}
	}
	ids := make([]string, 0, len(result))
	for id := range result {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
