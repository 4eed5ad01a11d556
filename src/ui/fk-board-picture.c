/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the drawing of a board with its BOOT and EN buttons, for the guide to resetting a board
 * by hand. Calls GTK's snapshot and cairo only. */
#include "config.h"

#include "fk-board-picture.h"

/* the drawing's own units; it is scaled to the widget's size */
#define FK_BOARD_W 168.0
#define FK_BOARD_H 112.0

struct _FkBoardPicture {
	GtkWidget parent_instance;
};

G_DEFINE_FINAL_TYPE(FkBoardPicture, fk_board_picture, GTK_TYPE_WIDGET)

static void
fk_board_rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
	cairo_new_sub_path(cr);
	cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, 0);
	cairo_arc(cr, x + w - r, y + h - r, r, 0, G_PI / 2);
	cairo_arc(cr, x + r, y + h - r, r, G_PI / 2, G_PI);
	cairo_arc(cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
	cairo_close_path(cr);
}

/* @text centred on (@cx, @cy) */
static void
fk_board_text(GtkWidget *widget, cairo_t *cr, const gchar *text, double cx, double cy, double size)
{
	g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout(widget, text);
	PangoFontDescription *font = pango_font_description_from_string("Sans Bold");
	int w, h;

	pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
	pango_layout_set_font_description(layout, font);
	pango_font_description_free(font);
	pango_layout_get_pixel_size(layout, &w, &h);
	cairo_move_to(cr, cx - w / 2.0, cy - h / 2.0);
	pango_cairo_show_layout(cr, layout);
}

/* a tactile switch: its square body and round cap; @hold draws the cap pressed, with a ring */
static void
fk_board_button(GtkWidget *widget, cairo_t *cr, double cx, double cy, const gchar *label, gboolean hold,
		const GdkRGBA *accent)
{
	cairo_set_source_rgb(cr, 0.78, 0.80, 0.82);
	fk_board_rounded_rect(cr, cx - 11, cy - 11, 22, 22, 3);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.20, 0.20, 0.22);
	cairo_arc(cr, cx, cy, 7, 0, 2 * G_PI);
	cairo_fill(cr);
	if (hold) {
		gdk_cairo_set_source_rgba(cr, accent);
		cairo_set_line_width(cr, 2.5);
		cairo_arc(cr, cx, cy, 15, 0, 2 * G_PI);
		cairo_stroke(cr);
	}
	cairo_set_source_rgb(cr, 1, 1, 1);
	fk_board_text(widget, cr, label, cx, cy + 22, 9);
}

static void
fk_board_picture_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
	double w = gtk_widget_get_width(widget);
	double h = gtk_widget_get_height(widget);
	double scale = MIN(w / FK_BOARD_W, h / FK_BOARD_H);
	GdkRGBA accent = {0.21, 0.52, 0.89, 1.0}; /* the accent blue of the default style */
	cairo_t *cr;

	if (scale <= 0)
		return;
	cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, w, h));
	cairo_translate(cr, (w - FK_BOARD_W * scale) / 2, (h - FK_BOARD_H * scale) / 2);
	cairo_scale(cr, scale, scale);

	/* the USB socket, sticking out on the left */
	cairo_set_source_rgb(cr, 0.62, 0.64, 0.66);
	fk_board_rounded_rect(cr, 2, 40, 24, 32, 3);
	cairo_fill(cr);
	/* the board */
	cairo_set_source_rgb(cr, 0.09, 0.36, 0.26);
	fk_board_rounded_rect(cr, 14, 4, 150, 104, 8);
	cairo_fill(cr);
	/* its mounting holes */
	cairo_set_source_rgb(cr, 0.80, 0.68, 0.36);
	for (guint i = 0; i < 4; i++) {
		cairo_arc(cr, i % 2 ? 154 : 24, i < 2 ? 14 : 98, 4, 0, 2 * G_PI);
		cairo_fill(cr);
	}
	/* the module with its shielding can */
	cairo_set_source_rgb(cr, 0.16, 0.17, 0.19);
	fk_board_rounded_rect(cr, 72, 12, 80, 56, 3);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.74, 0.76, 0.79);
	fk_board_rounded_rect(cr, 78, 18, 68, 44, 2);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.30, 0.32, 0.35);
	fk_board_text(widget, cr, "ESP", 112, 40, 12);

	/* the two buttons: BOOT (GPIO0) to hold, EN (RST) to tap */
	fk_board_button(widget, cr, 44, 70, "BOOT", TRUE, &accent);
	fk_board_button(widget, cr, 44, 24, "EN", FALSE, &accent);
	cairo_destroy(cr);
}

static void
fk_board_picture_measure(GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
			 int *minimum_baseline, int *natural_baseline)
{
	if (orientation == GTK_ORIENTATION_HORIZONTAL) {
		*minimum = (int)(FK_BOARD_W * 0.75);
		*natural = (int)FK_BOARD_W;
	} else {
		*minimum = (int)(FK_BOARD_H * 0.75);
		*natural = (int)FK_BOARD_H;
	}
}

static void
fk_board_picture_init(FkBoardPicture *self)
{
}

static void
fk_board_picture_class_init(FkBoardPictureClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	widget_class->snapshot = fk_board_picture_snapshot;
	widget_class->measure = fk_board_picture_measure;
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

GtkWidget *
fk_board_picture_new(void)
{
	return g_object_new(FK_TYPE_BOARD_PICTURE, NULL);
}
