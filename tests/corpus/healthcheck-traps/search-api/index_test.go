package main

import (
	"reflect"
	"testing"
)

func TestSearchMatchesAllTerms(t *testing.T) {
	idx := NewIndex()
	idx.Add("a", "Acme consulting March")
	idx.Add("b", "Acme hosting")
	if got := idx.Search("acme consulting"); !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatalf("got %v", got)
	}
	if got := idx.Search("ACME"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("got %v", got)
	}
}

func TestSearchNoHit(t *testing.T) {
	if got := NewIndex().Search("nothing"); len(got) != 0 {
		t.Fatalf("got %v", got)
	}
}
