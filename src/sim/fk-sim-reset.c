/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns resets and the chip's life cycle: DTR/RTS to EN/GPIO0, RTC watchdog, boots, app output.
 * May call timing, registers, the loader and the stub (to drop their RAM state). */
#include "config.h"

#include "fk-sim-device-private.h"

/* loses everything that lives in RAM */
void
fk_sim_device_cpu_reset(FkSimDevice *self)
{
	fk_sim_device_end_flash_session(self);
	fk_sim_device_end_read(self);
	g_ptr_array_set_size(self->ram, 0);
	self->mem_seg = NULL;
	self->deferred = 0;
	self->last_value = 0;
	self->flash_limit =
	    self->chip->rom == FK_SIM_ROM_32 ? FK_SIM_ROM_DEFAULT_LIMIT : FK_SIM_ROM8266_LIMIT;
	g_hash_table_remove_all(self->regs);
	fk_sim_device_init_efuses(self);
	fk_slip_decoder_reset(self->decoder);
	fk_slip_decoder_clear_garbage(self->decoder);
	self->stats.stub_running = FALSE;
	self->flash_attached = FALSE;
}

/* output already on its way stays; what the chip had not sent yet is lost */
void
fk_sim_device_power_off(FkSimDevice *self, gint64 t)
{
	guint keep = self->out->len;
	while (keep > self->out_pos && g_array_index(self->out, FkSimOutByte, keep - 1).t > t)
		keep--;
	g_array_set_size(self->out, keep);
	self->dev_tx_free = MIN(self->dev_tx_free, t);
	self->busy_until = t;
	self->state = FK_SIM_STATE_OFF;
	self->wdt_armed = FALSE;
	fk_sim_device_cpu_reset(self);
}

void
fk_sim_device_app_start(FkSimDevice *self, gint64 t)
{
	g_autofree gchar *text = NULL;
	self->state = FK_SIM_STATE_APP;
	self->flash_attached = TRUE; /* it runs from there */
	self->chip_baud = 115200;
	self->chip_baud_switch_at = 0;
	self->app_start = t;
	self->app_lines = 0;
	self->app_next_at = t + 300000;
	if (self->chip->rom == FK_SIM_ROM_8266) {
		text = g_strdup_printf("\r\nflashkeep-demo 1.4.2 on %s\r\nmode : sta\r\n",
				       self->chip->title);
	} else {
		text = g_strdup_printf("I (31) boot: ESP-IDF v5.1.2 2nd stage bootloader\r\n"
				       "I (31) boot: compile time Jan 12 2024 10:31:07\r\n"
				       "I (33) boot: chip revision: v%u.%u\r\n"
				       "I (120) cpu_start: Pro cpu start user code\r\n"
				       "I (140) app_main: flashkeep-demo 1.4.2 on %s\r\n",
				       self->chip->revision / 100,
				       self->chip->revision % 100,
				       self->chip->title);
	}
	fk_sim_device_emit_text(self, text, t + 50000, self->chip_baud);
}

void
fk_sim_device_boot(FkSimDevice *self, gboolean download, gint64 t)
{
	const FkSimChip *chip = self->chip;
	g_autofree gchar *log = NULL;

	fk_sim_device_cpu_reset(self);
	self->busy_until = t;
	self->dev_tx_free = MAX(self->dev_tx_free, t);
	self->chip_baud = chip->rom_log_baud;
	self->chip_baud_prev = chip->rom_log_baud;
	self->chip_baud_switch_at = 0;
	self->autobauded = FALSE;
	if (chip->rom == FK_SIM_ROM_8266) {
		log = g_strdup_printf("%srst cause:%u, boot mode:(%s)\r\n\r\n",
				      chip->rom_banner,
				      self->reset_cause,
				      download ? "1,7" : "3,6");
		if (!download) {
			gchar *tmp = g_strconcat(log,
						 "load 0x40100000, len 27128, room 16 \r\n"
						 "tail 8\r\nchksum 0x2b\r\n"
						 "load 0x3ffe8000, len 1332, room 0 \r\n"
						 "tail 4\r\nchksum 0x8e\r\ncsum 0x8e\r\n",
						 NULL);
			g_free(log);
			log = tmp;
		}
	} else {
		gboolean wdt = self->reset_cause == FK_SIM_RESET_RTC_WDT;
		log = g_strdup_printf("%srst:0x%x (%s),boot:0x%x (%s)\r\n",
				      chip->rom_banner,
				      wdt ? FK_SIM_RESET_RTC_WDT : 0x1,
				      wdt ? chip->rtc_wdt_reset_name : chip->reset_name,
				      download ? chip->boot_value_download : chip->boot_value_flash,
				      download ? chip->boot_name_download : chip->boot_name_flash);
		if (download) {
			gchar *tmp = g_strconcat(log, "waiting for download\r\n", NULL);
			g_free(log);
			log = tmp;
		} else {
			gchar *tmp = g_strconcat(log,
						 "configsip: 0, SPIWP:0xee\r\n"
						 "mode:DIO, clock div:2\r\n"
						 "load:0x3fff0030,len:7112\r\n"
						 "entry 0x40080640\r\n",
						 NULL);
			g_free(log);
			log = tmp;
		}
	}
	fk_sim_device_trace(self,
			    "* boot: %s (%s)",
			    download ? "download mode" : "flash",
			    self->reset_cause == 1 ? "power-on" : "reset");
	{
		guint64 before = self->bytes_to_host;
		fk_sim_device_emit_text(self, log, t, self->chip_baud);
		/* what the host must have read to know the chip sampled GPIO0 and waits for download
		 * (the ESP8266 says no such thing) */
		self->banner_end_index =
		    download && chip->rom == FK_SIM_ROM_32 && self->bytes_to_host > before ? self->bytes_to_host : 0;
	}
	if (download) {
		self->state = FK_SIM_STATE_ROM;
		self->flash_attached = chip->rom_attaches_flash;
		self->stats.download_boots++;
	} else {
		fk_sim_device_app_start(self, t);
	}
}

/* GPIO0 as the auto-reset circuit drives it from DTR/RTS */
static gboolean
fk_sim_device_gpio0_line_low(FkSimDevice *self)
{
	return !self->gpio0_unwired && self->auto_reset_circuit && self->dtr && !self->rts;
}

/* GPIO0 is low while BOOT is held, or when DTR alone is asserted through the auto-reset circuit */
static gboolean
fk_sim_device_gpio0_low(FkSimDevice *self)
{
	/* the USB-Serial/JTAG port has no transistors: it remembers that DTR alone asked for the
	 * download mode before RTS reset the chip (esptool's USB-JTAG sequence) */
	if (self->adapter != NULL && self->adapter->native) {
		gboolean latched = self->usb_download_latch;
		self->usb_download_latch = FALSE;
		return latched || self->boot_pressed;
	}
	return self->boot_pressed || fk_sim_device_gpio0_line_low(self);
}

/* the chip resets on its own (brown-out, software reset); straps from the lines */
void
fk_sim_device_chip_reset(FkSimDevice *self, gint64 t, guint cause)
{
	fk_sim_device_power_off(self, t);
	self->reset_cause = cause;
	self->boot_pending = TRUE;
	self->boot_at = t + FK_SIM_STRAP_DELAY_US;
}

static void
fk_sim_device_app_tick(FkSimDevice *self, gint64 now)
{
	if (self->state != FK_SIM_STATE_APP)
		return;
	if (now - self->app_next_at > 10 * FK_SIM_APP_PERIOD_US)
		self->app_next_at = now - FK_SIM_APP_PERIOD_US;
	while (self->app_next_at <= now) {
		g_autofree gchar *line = NULL;
		guint ms = (guint)((self->app_next_at - self->app_start) / 1000);
		self->app_lines++;
		if (self->chip->rom == FK_SIM_ROM_8266)
			line = g_strdup_printf("[%u] sensor: t=21.%u rh=4%u%%\r\n",
					       ms,
					       self->app_lines % 10,
					       self->app_lines % 7);
		else
			line = g_strdup_printf("I (%u) app_main: heartbeat %u, free heap %u\r\n",
					       ms,
					       self->app_lines,
					       231000 - (self->app_lines % 50) * 16);
		fk_sim_device_emit_text(self, line, self->app_next_at, self->chip_baud);
		self->app_next_at += FK_SIM_APP_PERIOD_US;
	}
}

void
fk_sim_device_advance(FkSimDevice *self, gint64 now)
{
	if (now > self->now)
		self->now = now;
	if (self->wdt_armed && now >= self->wdt_at) {
		fk_sim_device_trace(self, "* RTC watchdog fired: chip resets");
		fk_sim_device_chip_reset(self, self->wdt_at, FK_SIM_RESET_RTC_WDT);
	}
	if (self->en_low && self->state != FK_SIM_STATE_OFF &&
	    now - self->en_low_since >= FK_SIM_EN_MIN_LOW_US)
		fk_sim_device_power_off(self, self->en_low_since + FK_SIM_EN_MIN_LOW_US);
	if (self->hand_at > 0 && now >= self->hand_at) {
		gint64 t = self->hand_at;
		self->hand_at = 0;
		fk_sim_device_drive_buttons(self, TRUE, TRUE, t);
		fk_sim_device_drive_buttons(self, TRUE, FALSE, t + FK_SIM_TAP_US);
		self->hand_release_at = t + FK_SIM_TAP_US + FK_SIM_STRAP_DELAY_US;
	}
	if (self->boot_pending && now >= self->boot_at && !self->en_low) {
		self->boot_pending = FALSE;
		fk_sim_device_boot(self, fk_sim_device_gpio0_low(self), self->boot_at);
	}
	if (self->hand_release_at > 0 && now >= self->hand_release_at && !self->boot_pending) {
		fk_sim_device_drive_buttons(self, FALSE, self->en_pressed, self->hand_release_at);
		self->hand_release_at = 0;
	}
	fk_sim_device_read_advance(self, now);
	fk_sim_device_app_tick(self, now);
}

/* EN follows its button and the circuit; releasing it after a real press resets the chip */
static void
fk_sim_device_update_en(FkSimDevice *self, gint64 now_us)
{
	gboolean en_low = self->en_pressed || (self->auto_reset_circuit && self->rts && !self->dtr);
	if (en_low && !self->en_low) {
		self->en_low = TRUE;
		self->en_low_since = now_us;
		self->boot_pending = FALSE;
	} else if (!en_low && self->en_low) {
		self->en_low = FALSE;
		if (now_us - self->en_low_since >= FK_SIM_EN_MIN_LOW_US) {
			fk_sim_device_power_off(self, self->en_low_since + FK_SIM_EN_MIN_LOW_US);
			self->powered = TRUE;
			self->stats.resets++;
			self->reset_cause = 2;
			self->boot_pending = TRUE;
			self->boot_at = now_us + FK_SIM_STRAP_DELAY_US;
			fk_sim_device_trace(self, "* EN released: chip resets");
		}
	}
}

/* the lines let GPIO0 go: counts whether the chip had sampled it yet and, in download mode,
 * whether the host had read the ROM's banner, which says it had */
static void
fk_sim_device_note_gpio0_release(FkSimDevice *self)
{
	if (self->boot_pending && !self->en_low) {
		self->stats.gpio0_early++;
		fk_sim_device_trace(self, "* GPIO0 released before the chip sampled it");
	} else if (self->state == FK_SIM_STATE_ROM && self->banner_end_index != 0) {
		gboolean read = self->host_read_index >= self->banner_end_index;
		if (read)
			self->stats.gpio0_after_banner++;
		else
			self->stats.gpio0_before_banner++;
		fk_sim_device_trace(self, "* GPIO0 released, the boot banner %s by the host",
				    read ? "read" : "not yet read");
	}
	self->banner_end_index = 0;
}

/* the usual two-transistor circuit: EN is pulled low only by RTS without DTR, GPIO0 only by DTR
 * without RTS; a board without it ignores the lines */
void
fk_sim_device_drive_lines(FkSimDevice *self, gboolean dtr, gboolean rts, gint64 now_us)
{
	gboolean gpio0_was_low = fk_sim_device_gpio0_line_low(self);
	self->dtr = dtr;
	self->rts = rts;
	if (dtr && !rts)
		self->usb_download_latch = TRUE;
	if (gpio0_was_low && !fk_sim_device_gpio0_line_low(self) && !self->boot_pressed &&
	    (self->adapter == NULL || !self->adapter->native))
		fk_sim_device_note_gpio0_release(self);
	fk_sim_device_update_en(self, now_us);
}

/* a person's hands on the board's buttons; GPIO0 counts when the chip samples it */
void
fk_sim_device_drive_buttons(FkSimDevice *self, gboolean boot, gboolean en, gint64 now_us)
{
	if (boot != self->boot_pressed)
		fk_sim_device_trace(self, "* BOOT button %s", boot ? "pressed" : "released");
	if (en != self->en_pressed)
		fk_sim_device_trace(self, "* EN button %s", en ? "pressed" : "released");
	self->boot_pressed = boot;
	self->en_pressed = en;
	fk_sim_device_update_en(self, now_us);
}

void
fk_sim_device_hand_notice(FkSimDevice *self, gint64 now_us)
{
	if (self->hand_delay_us == 0 || self->hand_at > 0 || self->hand_release_at > 0)
		return;
	self->hand_at = now_us + self->hand_delay_us;
	fk_sim_device_trace(self, "* someone will hold BOOT and tap EN in %" G_GINT64_FORMAT " ms",
			    self->hand_delay_us / 1000);
}

/* ---- the RTC watchdog (esptool's watchdog_reset) ---- */

/* TRUE when @addr is a watchdog setting and the write protection is on */
gboolean
fk_sim_device_watchdog_locked(FkSimDevice *self, guint32 addr)
{
	const FkSimChip *chip = self->chip;
	if (chip->rtc_wdt_config0 == 0 ||
	    (addr != chip->rtc_wdt_config0 && addr != chip->rtc_wdt_config1))
		return FALSE;
	return fk_sim_device_read_reg(self, chip->rtc_wdt_wprotect) != FK_SIM_RTC_WDT_WKEY;
}

/* @addr was written at @t: enabling the watchdog with a reset stage arms it, disabling it
 * disarms it; when it fires the chip resets and samples GPIO0 again */
void
fk_sim_device_watchdog_write(FkSimDevice *self, guint32 addr, gint64 t)
{
	const FkSimChip *chip = self->chip;
	guint32 config0;
	guint32 ticks;

	if (chip->rtc_wdt_config0 == 0 || addr != chip->rtc_wdt_config0)
		return;
	config0 = fk_sim_device_read_reg(self, addr);
	/* bit 31 enables it, bits 28..30 are the first stage: 1 interrupt, 2 and up resets */
	if ((config0 & (1u << 31)) == 0 || ((config0 >> 28) & 0x7) < 2) {
		if (self->wdt_armed)
			fk_sim_device_trace(self, "* RTC watchdog disabled");
		self->wdt_armed = FALSE;
		return;
	}
	ticks = fk_sim_device_read_reg(self, chip->rtc_wdt_config1);
	self->wdt_armed = TRUE;
	self->wdt_at = t + (gint64)ticks * G_USEC_PER_SEC / FK_SIM_RTC_SLOW_HZ;
	fk_sim_device_trace(self, "* RTC watchdog armed: resets the chip in %" G_GINT64_FORMAT " us",
			    self->wdt_at - t);
}
