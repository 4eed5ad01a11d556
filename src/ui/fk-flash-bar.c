/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the picture of a flash: the coloured bar of its regions, their tooltips and the legend.
 * May call the engine's flash layout and the UI helpers for sizes in words. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-flash-bar.h"
#include "fk-ui-util.h"

#define FK_FLASH_BAR_HEIGHT 28
#define FK_FLASH_BAR_RADIUS 6.f
/* a region too small to see at the flash's scale still gets a sliver */
#define FK_FLASH_BAR_MIN_SPAN 4.0
#define FK_FLASH_BAR_GAP 1.0

/* mid tones of the GNOME palette: they read on light and dark backgrounds alike; the kinds with
 * no colour of their own (empty, not in the image) are translucent grey over the background */
static const GdkRGBA fk_flash_colors[FK_FLASH_SPAN_N_KINDS] = {
    [FK_FLASH_SPAN_BOOTLOADER] = {0.569f, 0.255f, 0.675f, 1.f},	  /* purple 3 #9141ac */
    [FK_FLASH_SPAN_PARTITION_TABLE] = {0.596f, 0.416f, 0.267f, 1.f}, /* brown 3 #986a44 */
    [FK_FLASH_SPAN_APP] = {0.208f, 0.518f, 0.894f, 1.f},		  /* blue 3 #3584e4 */
    [FK_FLASH_SPAN_DATA] = {0.180f, 0.761f, 0.494f, 1.f},		  /* green 4 #2ec27e */
    [FK_FLASH_SPAN_FILESYSTEM] = {1.f, 0.471f, 0.f, 1.f},		  /* orange 3 #ff7800 */
    [FK_FLASH_SPAN_SYSTEM] = {0.898f, 0.647f, 0.039f, 1.f},	  /* yellow 5 #e5a50a */
    [FK_FLASH_SPAN_EMPTY] = {0.5f, 0.5f, 0.5f, 0.22f},
    [FK_FLASH_SPAN_OTHER] = {0.467f, 0.463f, 0.482f, 1.f},		  /* light 5 #77767b */
    [FK_FLASH_SPAN_NOT_IN_IMAGE] = {0.5f, 0.5f, 0.5f, 0.10f},
    [FK_FLASH_SPAN_BEYOND_FLASH] = {0.878f, 0.106f, 0.141f, 1.f},	  /* red 3 #e01b24 */
};
/* the erased part of a partition: its colour, faint and hatched, so the partition still reads
 * as one and its empty space as empty in either style */
#define FK_FLASH_ERASED_ALPHA 0.2f
#define FK_FLASH_ERASED_HATCH_ALPHA 0.6f

/* the names the engine gives the regions that are not partitions, for the translators */
static const gchar *fk_flash_area_names[] = {
    N_("bootloader"),	   N_("partition table"),   N_("app"),		      N_("user1"),
    N_("rBoot config"),	   N_("RF calibration"),    N_("PHY init data"),      N_("system parameters"),
    N_("system parameter flag"),
};

/* one line of the legend: a partition or area, or all the spans of an unclaimed kind */
typedef struct {
	FkFlashSpanKind kind;
	gint region;
	gint partition;
	gchar label[24];
	gsize offset;
	gsize size;
	gsize erased; /* bytes of it that are erased */
	gboolean active;
} FkLegendEntry;

/* ---- the swatch: one colour, as the bar draws it ---- */

#define FK_TYPE_FLASH_SWATCH (fk_flash_swatch_get_type())
G_DECLARE_FINAL_TYPE(FkFlashSwatch, fk_flash_swatch, FK, FLASH_SWATCH, GtkWidget)

struct _FkFlashSwatch {
	GtkWidget parent_instance;
	FkLegendEntry entry;
};

G_DEFINE_FINAL_TYPE(FkFlashSwatch, fk_flash_swatch, GTK_TYPE_WIDGET)

static GdkRGBA
fk_flash_color(FkFlashSpanKind kind, gboolean erased)
{
	GdkRGBA color = fk_flash_colors[kind < FK_FLASH_SPAN_N_KINDS ? kind : FK_FLASH_SPAN_OTHER];
	if (erased && color.alpha == 1.f)
		color.alpha = FK_FLASH_ERASED_ALPHA;
	return color;
}

static GdkRGBA
fk_flash_foreground(GtkWidget *widget)
{
	GdkRGBA fg;
	gtk_style_context_get_color(gtk_widget_get_style_context(widget), &fg);
	return fg;
}

/* diagonal stripes of @color at @alpha */
static void
fk_flash_hatch(GtkSnapshot *snapshot, const graphene_rect_t *rect, const GdkRGBA *color, gfloat alpha)
{
	GskColorStop stops[4] = {
	    {0.0f, {color->red, color->green, color->blue, 0.f}},
	    {0.5f, {color->red, color->green, color->blue, 0.f}},
	    {0.5f, {color->red, color->green, color->blue, alpha}},
	    {1.0f, {color->red, color->green, color->blue, alpha}},
	};
	graphene_point_t start = GRAPHENE_POINT_INIT(rect->origin.x, rect->origin.y);
	graphene_point_t end = GRAPHENE_POINT_INIT(rect->origin.x + 4.f, rect->origin.y + 4.f);
	gtk_snapshot_append_repeating_linear_gradient(snapshot, rect, &start, &end, stops, G_N_ELEMENTS(stops));
}

/* draws one region's colour in @rect: solid where it holds data, hatched where a partition or
 * area is erased; the flash a restore leaves alone is hatched grey */
static void
fk_flash_paint(GtkSnapshot *snapshot,
	       GtkWidget *widget,
	       const graphene_rect_t *rect,
	       FkFlashSpanKind kind,
	       gboolean erased)
{
	GdkRGBA color = fk_flash_color(kind, erased);
	gtk_snapshot_append_color(snapshot, &color, rect);
	if (kind == FK_FLASH_SPAN_NOT_IN_IMAGE) {
		GdkRGBA fg = fk_flash_foreground(widget);
		fk_flash_hatch(snapshot, rect, &fg, 0.18f);
	} else if (erased && fk_flash_colors[kind].alpha == 1.f) {
		fk_flash_hatch(snapshot, rect, &fk_flash_colors[kind], FK_FLASH_ERASED_HATCH_ALPHA);
	}
}

static void
fk_flash_outline(GtkSnapshot *snapshot, GtkWidget *widget, const graphene_rect_t *rect, gfloat radius)
{
	GdkRGBA fg = fk_flash_foreground(widget);
	GskRoundedRect outline;
	const gfloat w[4] = {2.f, 2.f, 2.f, 2.f};
	const GdkRGBA c[4] = {fg, fg, fg, fg};
	gsk_rounded_rect_init_from_rect(&outline, rect, radius);
	gtk_snapshot_append_border(snapshot, &outline, w, c);
}

static void
fk_flash_swatch_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
	FkFlashSwatch *self = FK_FLASH_SWATCH(widget);
	gfloat size = (gfloat)MIN(gtk_widget_get_width(widget), gtk_widget_get_height(widget));
	graphene_rect_t rect = GRAPHENE_RECT_INIT(0, 0, size, size);
	GskRoundedRect clip;
	gboolean partly_erased = self->entry.erased > 0 && self->entry.erased < self->entry.size;

	gsk_rounded_rect_init_from_rect(&clip, &rect, 3.f);
	gtk_snapshot_push_rounded_clip(snapshot, &clip);
	if (partly_erased) {
		/* half full, half faint: as the bar draws a partition with erased space */
		graphene_rect_t left = GRAPHENE_RECT_INIT(0, 0, size / 2, size);
		graphene_rect_t right = GRAPHENE_RECT_INIT(size / 2, 0, size / 2, size);
		fk_flash_paint(snapshot, widget, &left, self->entry.kind, FALSE);
		fk_flash_paint(snapshot, widget, &right, self->entry.kind, TRUE);
	} else {
		fk_flash_paint(snapshot, widget, &rect, self->entry.kind,
			       self->entry.erased == self->entry.size && self->entry.kind != FK_FLASH_SPAN_EMPTY);
	}
	gtk_snapshot_pop(snapshot);
	if (self->entry.active)
		fk_flash_outline(snapshot, widget, &rect, 3.f);
}

static void
fk_flash_swatch_measure(GtkWidget *widget,
			GtkOrientation orientation,
			int for_size,
			int *minimum,
			int *natural,
			int *minimum_baseline,
			int *natural_baseline)
{
	*minimum = *natural = 14;
}

static void
fk_flash_swatch_class_init(FkFlashSwatchClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	widget_class->snapshot = fk_flash_swatch_snapshot;
	widget_class->measure = fk_flash_swatch_measure;
}

static void
fk_flash_swatch_init(FkFlashSwatch *self)
{
	gtk_widget_set_valign(GTK_WIDGET(self), GTK_ALIGN_CENTER);
}

/* ---- the bar ---- */

struct _FkFlashBar {
	GtkWidget parent_instance;

	/* children */
	GtkWidget *strip;
	GtkWidget *scale;
	GtkWidget *scale_end;
	GtkWidget *legend;

	/* owned */
	GArray *spans; /* FkFlashSpan */
	gsize total;
};

G_DEFINE_FINAL_TYPE(FkFlashBar, fk_flash_bar, GTK_TYPE_WIDGET)

#define FK_TYPE_FLASH_STRIP (fk_flash_strip_get_type())
G_DECLARE_FINAL_TYPE(FkFlashStrip, fk_flash_strip, FK, FLASH_STRIP, GtkWidget)

struct _FkFlashStrip {
	GtkWidget parent_instance;
	FkFlashBar *bar; /* unowned: the strip is its child */
};

G_DEFINE_FINAL_TYPE(FkFlashStrip, fk_flash_strip, GTK_TYPE_WIDGET)

/* the translated name of a region: a partition's own label, or the area's name */
static gchar *
fk_flash_entry_title(const FkLegendEntry *e)
{
	const gchar *kind_words[FK_FLASH_SPAN_N_KINDS] = {
	    [FK_FLASH_SPAN_BOOTLOADER] = _("bootloader"),
	    [FK_FLASH_SPAN_PARTITION_TABLE] = _("partition table"),
	    /* Translators: after a partition's name, as in "factory app" */
	    [FK_FLASH_SPAN_APP] = _("app"),
	    /* Translators: after a partition's name, as in "nvs data" */
	    [FK_FLASH_SPAN_DATA] = _("data"),
	    /* Translators: after a partition's name, as in "storage filesystem" */
	    [FK_FLASH_SPAN_FILESYSTEM] = _("filesystem"),
	    [FK_FLASH_SPAN_SYSTEM] = _("SDK area"),
	    /* Translators: erased flash that no partition or area claims */
	    [FK_FLASH_SPAN_EMPTY] = _("empty"),
	    /* Translators: data in the image that no partition or area accounts for */
	    [FK_FLASH_SPAN_OTHER] = _("other data"),
	    /* Translators: the flash past the end of the image, which a restore does not write */
	    [FK_FLASH_SPAN_NOT_IN_IMAGE] = _("not in the image"),
	    /* Translators: the part of the image that does not fit the chip's flash */
	    [FK_FLASH_SPAN_BEYOND_FLASH] = _("beyond the flash"),
	};
	FkFlashSpanKind kind = e->kind < FK_FLASH_SPAN_N_KINDS ? e->kind : FK_FLASH_SPAN_OTHER;
	if (e->partition >= 0) {
		/* Translators: a partition's name (as in its table) and what it holds: "factory app" */
		return g_strdup_printf(C_("partition", "%s %s"), e->label, kind_words[kind]);
	}
	for (guint i = 0; i < G_N_ELEMENTS(fk_flash_area_names); i++) {
		if (g_strcmp0(e->label, fk_flash_area_names[i]) == 0)
			return g_strdup(_(fk_flash_area_names[i]));
	}
	if (e->label[0] != '\0')
		return g_strdup(e->label);
	return g_strdup(kind_words[kind]);
}

static gchar *fk_flash_entry_note(const FkLegendEntry *e);

/* "factory app · 1 MB (active · 164 KB used)": the legend's row as one line */
static gchar *
fk_flash_entry_text(const FkLegendEntry *e)
{
	g_autofree gchar *title = fk_flash_entry_title(e);
	g_autofree gchar *size = fk_ui_format_bytes(e->size);
	g_autofree gchar *note = fk_flash_entry_note(e);
	if (note[0] != '\0')
		/* Translators: a region of the flash, its size and a note such as "active" */
		return g_strdup_printf(_("%s · %s (%s)"), title, size, note);
	/* Translators: a region of the flash and its size */
	return g_strdup_printf(_("%s · %s"), title, size);
}

static gint
fk_legend_entry_cmp(gconstpointer a, gconstpointer b)
{
	const FkLegendEntry *ea = a, *eb = b;
	if ((ea->region < 0) != (eb->region < 0))
		return ea->region < 0 ? 1 : -1;
	if (ea->region < 0)
		return (gint)ea->kind - (gint)eb->kind;
	return ea->offset < eb->offset ? -1 : ea->offset > eb->offset ? 1 : 0;
}

static GArray *
fk_flash_bar_legend_entries(FkFlashBar *self)
{
	GArray *entries = g_array_new(FALSE, TRUE, sizeof(FkLegendEntry));
	for (guint i = 0; i < self->spans->len; i++) {
		const FkFlashSpan *s = &g_array_index(self->spans, FkFlashSpan, i);
		FkLegendEntry *e = NULL;
		for (guint j = 0; j < entries->len && e == NULL; j++) {
			FkLegendEntry *o = &g_array_index(entries, FkLegendEntry, j);
			if (s->region >= 0 ? o->region == s->region : (o->region < 0 && o->kind == s->kind))
				e = o;
		}
		if (e == NULL) {
			FkLegendEntry fresh = {.kind = s->kind, .region = s->region, .partition = s->partition,
					       .offset = s->offset};
			g_strlcpy(fresh.label, s->label, sizeof(fresh.label));
			g_array_append_val(entries, fresh);
			e = &g_array_index(entries, FkLegendEntry, entries->len - 1);
		}
		e->size += s->size;
		if (s->erased)
			e->erased += s->size;
		e->active = e->active || s->active;
	}
	/* the regions in flash order, then what no region claims */
	g_array_sort(entries, fk_legend_entry_cmp);
	return entries;
}

/* where each span begins and ends across @width pixels: in proportion to its size, but never
 * narrower than a sliver, so a 4 KB table on a 16 MB flash can still be seen */
static void
fk_flash_bar_positions(FkFlashBar *self, gdouble width, gdouble *x0, gdouble *x1)
{
	guint n = self->spans->len;
	gdouble min = MIN(FK_FLASH_BAR_MIN_SPAN, width / MAX(n, 1));
	gdouble spare = MAX(width - min * n, 0.0);
	gdouble x = 0;
	for (guint i = 0; i < n; i++) {
		const FkFlashSpan *s = &g_array_index(self->spans, FkFlashSpan, i);
		x0[i] = x;
		x += min + (self->total > 0 ? spare * (gdouble)s->size / (gdouble)self->total : 0.0);
		x1[i] = i + 1 == n ? width : x;
	}
}

static gboolean
fk_flash_same_region(const FkFlashSpan *a, const FkFlashSpan *b)
{
	return a->region >= 0 ? a->region == b->region : (b->region < 0 && a->kind == b->kind);
}

static void
fk_flash_strip_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
	FkFlashStrip *strip = FK_FLASH_STRIP(widget);
	FkFlashBar *self = strip->bar;
	gfloat width = (gfloat)gtk_widget_get_width(widget);
	gfloat height = (gfloat)gtk_widget_get_height(widget);
	graphene_rect_t all = GRAPHENE_RECT_INIT(0, 0, width, height);
	g_autofree gdouble *x0 = NULL;
	g_autofree gdouble *x1 = NULL;
	GskRoundedRect clip;
	guint n;

	if (self == NULL || self->spans == NULL || self->spans->len == 0)
		return;
	n = self->spans->len;
	x0 = g_new(gdouble, n);
	x1 = g_new(gdouble, n);
	fk_flash_bar_positions(self, width, x0, x1);

	gsk_rounded_rect_init_from_rect(&clip, &all, FK_FLASH_BAR_RADIUS);
	gtk_snapshot_push_rounded_clip(snapshot, &clip);
	for (guint i = 0; i < n; i++) {
		const FkFlashSpan *s = &g_array_index(self->spans, FkFlashSpan, i);
		gdouble right = x1[i];
		graphene_rect_t rect;
		/* a hairline between regions, none between the parts of one */
		if (i + 1 < n && !fk_flash_same_region(s, &g_array_index(self->spans, FkFlashSpan, i + 1)))
			right -= FK_FLASH_BAR_GAP;
		if (right <= x0[i])
			right = x0[i] + 1.0;
		rect = GRAPHENE_RECT_INIT((gfloat)x0[i], 0, (gfloat)(right - x0[i]), height);
		fk_flash_paint(snapshot, widget, &rect, s->kind, s->erased);
	}
	/* the active app's outline, around all its parts */
	for (guint i = 0; i < n; i++) {
		const FkFlashSpan *s = &g_array_index(self->spans, FkFlashSpan, i);
		guint last = i;
		graphene_rect_t rect;
		if (!s->active)
			continue;
		while (last + 1 < n && g_array_index(self->spans, FkFlashSpan, last + 1).active &&
		       fk_flash_same_region(s, &g_array_index(self->spans, FkFlashSpan, last + 1)))
			last++;
		rect = GRAPHENE_RECT_INIT((gfloat)x0[i], 0,
					  (gfloat)(x1[last] - x0[i] - (last + 1 < n ? FK_FLASH_BAR_GAP : 0)), height);
		fk_flash_outline(snapshot, widget, &rect, x0[i] < 1.0 ? FK_FLASH_BAR_RADIUS : 2.f);
		i = last;
	}
	gtk_snapshot_pop(snapshot);
}

static void
fk_flash_strip_measure(GtkWidget *widget,
		       GtkOrientation orientation,
		       int for_size,
		       int *minimum,
		       int *natural,
		       int *minimum_baseline,
		       int *natural_baseline)
{
	if (orientation == GTK_ORIENTATION_HORIZONTAL) {
		*minimum = 120;
		*natural = 360;
	} else {
		*minimum = *natural = FK_FLASH_BAR_HEIGHT;
	}
}

/* the region under the pointer, with where it lies */
static gboolean
fk_flash_strip_query_tooltip(GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, gpointer data)
{
	FkFlashBar *self = FK_FLASH_STRIP(widget)->bar;
	g_autofree gdouble *x0 = NULL;
	g_autofree gdouble *x1 = NULL;
	g_autoptr(GArray) entries = NULL;
	guint n;

	if (self->spans == NULL || self->spans->len == 0 || keyboard)
		return FALSE;
	n = self->spans->len;
	x0 = g_new(gdouble, n);
	x1 = g_new(gdouble, n);
	fk_flash_bar_positions(self, gtk_widget_get_width(widget), x0, x1);
	entries = fk_flash_bar_legend_entries(self);
	for (guint i = 0; i < n; i++) {
		const FkFlashSpan *s = &g_array_index(self->spans, FkFlashSpan, i);
		if (x < x0[i] || x >= x1[i])
			continue;
		for (guint j = 0; j < entries->len; j++) {
			const FkLegendEntry *e = &g_array_index(entries, FkLegendEntry, j);
			g_autofree gchar *text = NULL;
			g_autofree gchar *line = NULL;
			if (!fk_flash_same_region(s, &(FkFlashSpan){.kind = e->kind, .region = e->region}))
				continue;
			text = fk_flash_entry_text(e);
			/* Translators: where a region of the flash lies, as addresses */
			/* a partition or area as a whole; the unclaimed kinds only where the pointer is */
			line = e->region >= 0
				   ? g_strdup_printf(_("%s\n0x%06zx to 0x%06zx"), text, e->offset, e->offset + e->size)
				   : g_strdup_printf(_("%s\n0x%06zx to 0x%06zx"), text, s->offset, s->offset + s->size);
			gtk_tooltip_set_text(tooltip, line);
			return TRUE;
		}
	}
	return FALSE;
}

static void
fk_flash_strip_class_init(FkFlashStripClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	widget_class->snapshot = fk_flash_strip_snapshot;
	widget_class->measure = fk_flash_strip_measure;
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
fk_flash_strip_init(FkFlashStrip *self)
{
	gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
	gtk_widget_set_has_tooltip(GTK_WIDGET(self), TRUE);
	g_signal_connect(self, "query-tooltip", G_CALLBACK(fk_flash_strip_query_tooltip), NULL);
}

/* the note after a region's size: "active", "erased", "200 KB used" */
static gchar *
fk_flash_entry_note(const FkLegendEntry *e)
{
	g_autofree gchar *used = fk_ui_format_bytes(e->size - e->erased);
	gboolean erased = e->erased == e->size && e->kind != FK_FLASH_SPAN_EMPTY;
	gboolean partly = e->erased > 0 && e->erased < e->size;
	if (e->active && partly)
		/* Translators: the app the bootloader starts, and how much of its partition holds data */
		return g_strdup_printf(_("active · %s used"), used);
	if (e->active && erased)
		return g_strdup(_("active · erased"));
	if (e->active)
		/* Translators: the app the bootloader starts */
		return g_strdup(_("active"));
	if (partly)
		/* Translators: how much of a partition holds data, the rest being erased */
		return g_strdup_printf(_("%s used"), used);
	if (erased)
		return g_strdup(_("erased"));
	return g_strdup("");
}

/* one row of the legend: swatch, name, size (aligned), note */
static void
fk_flash_legend_row(GtkGrid *grid, guint row, const FkLegendEntry *e)
{
	GtkWidget *swatch = g_object_new(FK_TYPE_FLASH_SWATCH, NULL);
	g_autofree gchar *title = fk_flash_entry_title(e);
	g_autofree gchar *size = fk_ui_format_bytes(e->size);
	g_autofree gchar *note = fk_flash_entry_note(e);
	GtkWidget *name = gtk_label_new(title);
	GtkWidget *bytes = gtk_label_new(size);
	GtkWidget *extra = gtk_label_new(note);

	FK_FLASH_SWATCH(swatch)->entry = *e;
	gtk_label_set_xalign(GTK_LABEL(name), 0.f);
	gtk_label_set_ellipsize(GTK_LABEL(name), PANGO_ELLIPSIZE_END);
	gtk_widget_set_hexpand(name, TRUE);
	gtk_label_set_xalign(GTK_LABEL(bytes), 1.f);
	gtk_widget_add_css_class(bytes, "numeric");
	gtk_label_set_xalign(GTK_LABEL(extra), 0.f);
	gtk_widget_add_css_class(extra, "dim-label");
	if (e->active) {
		/* the app that runs stands out in the list as in the bar */
		g_autofree gchar *markup = g_markup_printf_escaped("<b>%s</b>", note);
		gtk_label_set_markup(GTK_LABEL(extra), markup);
	}
	gtk_grid_attach(grid, swatch, 0, (int)row, 1, 1);
	gtk_grid_attach(grid, name, 1, (int)row, 1, 1);
	gtk_grid_attach(grid, bytes, 2, (int)row, 1, 1);
	gtk_grid_attach(grid, extra, 3, (int)row, 1, 1);
}

/* takes @spans */
static void
fk_flash_bar_show_spans(FkFlashBar *self, GArray *spans)
{
	g_autoptr(GArray) entries = NULL;
	g_autoptr(GString) described = g_string_new(NULL);
	g_autofree gchar *total = NULL;
	GtkWidget *child;

	g_clear_pointer(&self->spans, g_array_unref);
	self->spans = spans;
	self->total = 0;
	for (guint i = 0; i < self->spans->len; i++)
		self->total += g_array_index(self->spans, FkFlashSpan, i).size;

	while ((child = gtk_widget_get_first_child(self->legend)) != NULL)
		gtk_grid_remove(GTK_GRID(self->legend), child);
	entries = fk_flash_bar_legend_entries(self);
	for (guint i = 0; i < entries->len; i++) {
		const FkLegendEntry *e = &g_array_index(entries, FkLegendEntry, i);
		g_autofree gchar *text = fk_flash_entry_text(e);
		fk_flash_legend_row(GTK_GRID(self->legend), i, e);
		g_string_append_printf(described, "%s%s", i > 0 ? "; " : "", text);
	}

	total = fk_ui_format_bytes(self->total);
	gtk_label_set_text(GTK_LABEL(self->scale_end), total);
	gtk_widget_set_visible(self->scale, self->total > 0);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->strip), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
				       described->str, -1);
	gtk_widget_queue_draw(self->strip);
}

static void
fk_flash_bar_show(FkFlashBar *self, const FkImageDescription *desc, const guint8 *data, gsize len, gsize flash_size)
{
	fk_flash_bar_show_spans(self, fk_flash_layout_new(desc, data, len, flash_size));
}

void
fk_flash_bar_set_spans(FkFlashBar *self, GArray *spans)
{
	g_return_if_fail(FK_IS_FLASH_BAR(self));
	g_return_if_fail(spans != NULL);
	fk_flash_bar_show_spans(self, g_array_ref(spans));
}

void
fk_flash_bar_set_description(FkFlashBar *self, const FkImageDescription *desc, gsize flash_size)
{
	g_return_if_fail(FK_IS_FLASH_BAR(self));
	g_return_if_fail(desc != NULL);
	fk_flash_bar_show(self, desc, NULL, 0, flash_size);
}

void
fk_flash_bar_set_image(FkFlashBar *self, GBytes *image, gsize flash_size)
{
	g_autoptr(FkImageDescription) desc = NULL;
	const guint8 *data;
	gsize len;
	g_return_if_fail(FK_IS_FLASH_BAR(self));
	g_return_if_fail(image != NULL);
	data = g_bytes_get_data(image, &len);
	desc = fk_image_info_describe(data, len);
	fk_flash_bar_show(self, desc, data, len, flash_size);
}

guint
fk_flash_bar_get_n_spans(FkFlashBar *self)
{
	g_return_val_if_fail(FK_IS_FLASH_BAR(self), 0);
	return self->spans != NULL ? self->spans->len : 0;
}

const FkFlashSpan *
fk_flash_bar_get_span(FkFlashBar *self, guint index)
{
	g_return_val_if_fail(FK_IS_FLASH_BAR(self), NULL);
	g_return_val_if_fail(index < fk_flash_bar_get_n_spans(self), NULL);
	return &g_array_index(self->spans, FkFlashSpan, index);
}

GtkWidget *
fk_flash_bar_new(void)
{
	return g_object_new(FK_TYPE_FLASH_BAR, NULL);
}

static void
fk_flash_bar_dispose(GObject *object)
{
	FkFlashBar *self = FK_FLASH_BAR(object);
	GtkWidget *child;
	if (self->strip != NULL)
		FK_FLASH_STRIP(self->strip)->bar = NULL;
	while ((child = gtk_widget_get_first_child(GTK_WIDGET(self))) != NULL)
		gtk_widget_unparent(child);
	self->strip = self->scale = self->scale_end = self->legend = NULL;
	G_OBJECT_CLASS(fk_flash_bar_parent_class)->dispose(object);
}

static void
fk_flash_bar_finalize(GObject *object)
{
	FkFlashBar *self = FK_FLASH_BAR(object);
	g_clear_pointer(&self->spans, g_array_unref);
	G_OBJECT_CLASS(fk_flash_bar_parent_class)->finalize(object);
}

static void
fk_flash_bar_class_init(FkFlashBarClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	object_class->dispose = fk_flash_bar_dispose;
	object_class->finalize = fk_flash_bar_finalize;
	gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BOX_LAYOUT);
	gtk_widget_class_set_css_name(widget_class, "flashbar");
}

static void
fk_flash_bar_init(FkFlashBar *self)
{
	GtkWidget *start;
	GtkBoxLayout *layout = GTK_BOX_LAYOUT(gtk_widget_get_layout_manager(GTK_WIDGET(self)));
	gtk_orientable_set_orientation(GTK_ORIENTABLE(layout), GTK_ORIENTATION_VERTICAL);
	gtk_box_layout_set_spacing(layout, 4);
	gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);

	self->strip = g_object_new(FK_TYPE_FLASH_STRIP, NULL);
	FK_FLASH_STRIP(self->strip)->bar = self;
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->strip), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("What the flash holds"), -1);
	gtk_widget_set_parent(self->strip, GTK_WIDGET(self));

	/* the scale: the start and the end of the flash */
	self->scale = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
	start = gtk_label_new("0");
	self->scale_end = gtk_label_new("");
	gtk_widget_set_hexpand(start, TRUE);
	gtk_label_set_xalign(GTK_LABEL(start), 0.f);
	gtk_label_set_xalign(GTK_LABEL(self->scale_end), 1.f);
	gtk_widget_add_css_class(start, "caption");
	gtk_widget_add_css_class(start, "dim-label");
	gtk_widget_add_css_class(self->scale_end, "caption");
	gtk_widget_add_css_class(self->scale_end, "dim-label");
	gtk_box_append(GTK_BOX(self->scale), start);
	gtk_box_append(GTK_BOX(self->scale), self->scale_end);
	gtk_widget_set_parent(self->scale, GTK_WIDGET(self));

	self->legend = gtk_grid_new();
	gtk_grid_set_column_spacing(GTK_GRID(self->legend), 8);
	gtk_grid_set_row_spacing(GTK_GRID(self->legend), 3);
	gtk_widget_set_margin_top(self->legend, 6);
	gtk_widget_set_parent(self->legend, GTK_WIDGET(self));
}
