package store

import (
	"maps"
	"testing"
	"time"

	"mediadigest/model"
)

func TestDerivedCounts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		if c, err := s.DerivedCounts(ctx); err != nil || c.Stories != 0 || len(c.Removed) != 0 {
			t.Errorf("DerivedCounts of an empty store = %+v, %v; want nothing", c, err)
		}
		published := time.Date(2026, 11, 26, 10, 0, 0, 0, tehran)
		var ids []int64
		for i, url := range []string{
			"https://www.isna.ir/news/1405090500001/",
			"https://eghtesaad24.ir/fa/news/312480/",
			"https://www.isna.ir/news/1405090500002/",
			"https://www.isna.ir/news/1405090500003/", // not derived yet
		} {
			a := gasArticle(url, published.Add(time.Duration(i)*time.Hour))
			if _, err := s.UpsertArticle(ctx, a, nil); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		err := s.SaveDerived(ctx, []Derived{
			{ID: ids[0], Story: "s-1", Clean: model.Clean{Removed: []model.Removed{
				{Text: "بیشتر: قیمت جهانی نفت در کانال ۸۰ دلار", Reason: model.ReasonPromo},
				{Text: "انتهای پیام", Reason: model.ReasonMarker},
			}}},
			{ID: ids[1], Story: "s-1", Clean: model.Clean{Removed: []model.Removed{
				{Text: "منبع: ایسنا", Reason: model.ReasonAttribution},
				{Text: "بیشتر: قیمت جهانی نفت در کانال ۸۰ دلار", Reason: model.ReasonPromo},
			}}},
			{ID: ids[2], Story: "s-2"}, // nothing removed: "removed" is null
		})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.DerivedCounts(ctx)
		want := map[string]int{model.ReasonPromo: 2, model.ReasonMarker: 1, model.ReasonAttribution: 1}
		if err != nil || c.Stories != 2 || !maps.Equal(c.Removed, want) {
			t.Errorf("DerivedCounts = %+v, %v; want 2 stories and removed %v", c, err, want)
		}
	})
}
