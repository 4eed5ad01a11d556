/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns what a person does with the simulated board's hands: its BOOT and EN buttons, whether it
 * has the auto-reset circuit at all, and the simulated person who presses the buttons after a
 * while. May call the reset code (fk-sim-reset.c), which samples the buttons with the lines. */
#include "config.h"

#include "fk-sim-device-private.h"

void
fk_sim_device_set_auto_reset(FkSimDevice *self, gboolean has_circuit)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	self->auto_reset_circuit = has_circuit;
	g_mutex_unlock(&self->mutex);
}

gboolean
fk_sim_device_has_auto_reset(FkSimDevice *self)
{
	gboolean has;
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), FALSE);
	g_mutex_lock(&self->mutex);
	has = self->auto_reset_circuit;
	g_mutex_unlock(&self->mutex);
	return has;
}

/* the buttons as a person leaves them (-1: as they are), from now or from the latest time the
 * device was told of, whichever is later; with @tap_us, EN is let go again that much later and
 * the chip's life goes on until it has sampled its straps */
static void
fk_sim_device_buttons(FkSimDevice *self, gint boot, gint en, gint64 tap_us)
{
	gint64 t;
	gboolean boot_now;

	g_mutex_lock(&self->mutex);
	t = MAX(g_get_monotonic_time(), self->now);
	fk_sim_device_advance(self, t);
	boot_now = boot < 0 ? self->boot_pressed : boot != 0;
	fk_sim_device_drive_buttons(self, boot_now, en < 0 ? self->en_pressed : en != 0, t);
	if (tap_us > 0) {
		fk_sim_device_advance(self, t + tap_us);
		fk_sim_device_drive_buttons(self, boot_now, FALSE, t + tap_us);
		fk_sim_device_advance(self, t + tap_us + FK_SIM_STRAP_DELAY_US);
	}
	g_mutex_unlock(&self->mutex);
	fk_sim_device_flush_trace(self);
}

void
fk_sim_device_set_helping_hand(FkSimDevice *self, guint delay_ms)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	self->hand_delay_us = (gint64)delay_ms * 1000;
	self->hand_at = 0;
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_press_button(FkSimDevice *self, FkSimButton button, gboolean pressed)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	fk_sim_device_buttons(self, button == FK_SIM_BUTTON_BOOT ? pressed : -1, button == FK_SIM_BUTTON_EN ? pressed : -1,
			      0);
}

void
fk_sim_device_tap_reset(FkSimDevice *self)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	fk_sim_device_buttons(self, -1, TRUE, FK_SIM_TAP_US);
}

void
fk_sim_device_enter_download_by_hand(FkSimDevice *self)
{
	fk_sim_device_press_button(self, FK_SIM_BUTTON_BOOT, TRUE);
	fk_sim_device_tap_reset(self);
	fk_sim_device_press_button(self, FK_SIM_BUTTON_BOOT, FALSE);
}
