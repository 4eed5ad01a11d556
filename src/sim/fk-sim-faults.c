/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns fault injection: the armed faults, their counters and the fault spec parser.
 * May call nothing else in the simulator. */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-protocol.h"
#include "fk-sim-device-private.h"

FkSimFault *
fk_sim_device_fault_check(FkSimDevice *self, FkSimFaultKind kind, guint64 counter)
{
	for (guint i = 0; i < self->faults->len; i++) {
		FkSimFault *f = &g_array_index(self->faults, FkSimFault, i);
		if (f->kind != kind || f->fired)
			continue;
		if (counter - f->base == f->n) {
			f->fired = TRUE;
			return f;
		}
	}
	return NULL;
}

static guint64
fk_sim_device_fault_counter(FkSimDevice *self, FkSimFaultKind kind, guint param)
{
	switch (kind) {
	case FK_SIM_FAULT_FLIP_PARAM:
		return self->n_by_op[param & 0xFF];
	case FK_SIM_FAULT_DROP_BYTE:
	case FK_SIM_FAULT_FLIP_BIT:
	case FK_SIM_FAULT_CLOSE_AFTER:
		return self->bytes_to_host;
	case FK_SIM_FAULT_DELAY:
	case FK_SIM_FAULT_RESET:
		return self->n_commands;
	case FK_SIM_FAULT_WRITE_ERROR:
		return self->n_data_cmds;
	case FK_SIM_FAULT_SHORT_READ:
		return self->n_read_frames;
	case FK_SIM_FAULT_BAD_MD5:
		return self->n_reads;
	case FK_SIM_FAULT_BAUD_WRONG:
		return self->n_by_op[FK_OP_CHANGE_BAUDRATE];
	case FK_SIM_FAULT_STUB_BAUD:
		return self->stats.stub_uploads;
	case FK_SIM_FAULT_FLASH_MUTE:
		return self->n_flash_ids;
	case FK_SIM_FAULT_NONE:
	default:
		return 0;
	}
}

void
fk_sim_device_add_fault(FkSimDevice *self, FkSimFaultKind kind, guint n, guint param)
{
	FkSimFault f = {0};
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	f.kind = kind;
	f.n = n;
	f.param = param;
	f.base = fk_sim_device_fault_counter(self, kind, param);
	g_array_append_val(self->faults, f);
	g_mutex_unlock(&self->mutex);
}

guint8 *
fk_sim_device_fault_flip_param(FkSimDevice *self, guint8 op, const guint8 *data, gsize len)
{
	guint8 *copy = NULL;
	guint64 count = ++self->n_by_op[op];

	for (guint i = 0; i < self->faults->len; i++) {
		FkSimFault *f = &g_array_index(self->faults, FkSimFault, i);
		guint at = (f->param >> 8) & 0xFF;
		guint bit = (f->param >> 16) & 0x1F;
		if (f->kind != FK_SIM_FAULT_FLIP_PARAM || f->fired || (f->param & 0xFF) != op ||
		    count - f->base != f->n)
			continue;
		f->fired = TRUE;
		if (at + 4 > len)
			continue; /* the command has no such parameter */
		if (copy == NULL)
			copy = g_memdup2(data, len);
		copy[at + bit / 8] ^= (guint8)(1u << (bit % 8));
		fk_sim_device_trace(self, "! fault: bit %u of the parameter at byte %u of %s #%u flipped", bit, at,
				    fk_opcode_to_string(op), f->n);
	}
	return copy;
}

/* the parameters the flip-param fault names: where each opcode keeps its offset and size */
static const struct {
	guint8 op;
	guint8 offset_at;
	guint8 size_at;
} fk_sim_param_fields[] = {
    {FK_OP_READ_FLASH, 0, 4},
    {FK_OP_READ_FLASH_SLOW, 0, 4},
    {FK_OP_FLASH_BEGIN, 12, 0},
    {FK_OP_FLASH_DEFL_BEGIN, 12, 0},
    {FK_OP_ERASE_REGION, 0, 4},
    {FK_OP_SPI_FLASH_MD5, 0, 4},
};

/* "flip-param@READ_FLASH#2:OFFSET.20": bit 20 of the offset of the 2nd READ_FLASH */
static gboolean
fk_sim_parse_flip_param(const gchar *item, guint *n, guint *param)
{
	g_autofree gchar *name = NULL;
	const gchar *hash = strchr(item, '#');
	const gchar *colon = strchr(item, ':');
	const gchar *dot = colon != NULL ? strchr(colon, '.') : NULL;
	guint64 count = 0, bit = 0;

	if (!g_str_has_prefix(item, "flip-param@") || hash == NULL || colon == NULL || dot == NULL || colon < hash)
		return FALSE;
	name = g_strndup(item + strlen("flip-param@"), hash - item - strlen("flip-param@"));
	{
		g_autofree gchar *count_str = g_strndup(hash + 1, colon - hash - 1);
		if (!g_ascii_string_to_unsigned(count_str, 10, 1, G_MAXUINT, &count, NULL) ||
		    !g_ascii_string_to_unsigned(dot + 1, 10, 0, 31, &bit, NULL))
			return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(fk_sim_param_fields); i++) {
		guint8 op = fk_sim_param_fields[i].op;
		guint at;
		if (g_strcmp0(fk_opcode_to_string(op), name) != 0)
			continue;
		if (strncmp(colon + 1, "OFFSET.", 7) == 0)
			at = fk_sim_param_fields[i].offset_at;
		else if (strncmp(colon + 1, "SIZE.", 5) == 0)
			at = fk_sim_param_fields[i].size_at;
		else
			return FALSE;
		*n = (guint)count;
		*param = op | at << 8 | (guint)bit << 16;
		return TRUE;
	}
	return FALSE;
}

static const struct {
	const gchar *name;
	FkSimFaultKind kind;
} fk_sim_fault_names[] = {
    {"drop", FK_SIM_FAULT_DROP_BYTE},
    {"flip", FK_SIM_FAULT_FLIP_BIT},
    {"delay", FK_SIM_FAULT_DELAY},
    {"close", FK_SIM_FAULT_CLOSE_AFTER},
    {"write-error", FK_SIM_FAULT_WRITE_ERROR},
    {"short-read", FK_SIM_FAULT_SHORT_READ},
    {"bad-md5", FK_SIM_FAULT_BAD_MD5},
    {"reset", FK_SIM_FAULT_RESET},
    {"baud-wrong", FK_SIM_FAULT_BAUD_WRONG},
    {"stub-baud", FK_SIM_FAULT_STUB_BAUD},
    {"flash-mute", FK_SIM_FAULT_FLASH_MUTE},
};

gboolean
fk_sim_device_add_faults_from_string(FkSimDevice *self, const gchar *spec, GError **error)
{
	g_auto(GStrv) items = NULL;
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), FALSE);

	items = g_strsplit(spec, ",", -1);
	for (guint i = 0; items[i] != NULL; i++) {
		g_auto(GStrv) parts = NULL;
		FkSimFaultKind kind = FK_SIM_FAULT_NONE;
		guint64 n = 0;
		guint64 param = 0;
		gchar *item = g_strstrip(items[i]);
		guint flip_n = 0, flip_param = 0;
		if (item[0] == '\0')
			continue;
		if (g_str_has_prefix(item, "flip-param@")) {
			if (!fk_sim_parse_flip_param(item, &flip_n, &flip_param)) {
				g_set_error(error,
					    FK_ERROR,
					    FK_ERROR_INVALID_ARGUMENT,
					    "invalid fault '%s' (flip-param@COMMAND#N:OFFSET.BIT or :SIZE.BIT, for "
					    "READ_FLASH, READ_FLASH_SLOW, FLASH_BEGIN, FLASH_DEFL_BEGIN, "
					    "ERASE_REGION, SPI_FLASH_MD5)",
					    item);
				return FALSE;
			}
			fk_sim_device_add_fault(self, FK_SIM_FAULT_FLIP_PARAM, flip_n, flip_param);
			continue;
		}
		parts = g_strsplit(item, ":", 3);
		for (guint j = 0; j < G_N_ELEMENTS(fk_sim_fault_names); j++) {
			if (g_strcmp0(parts[0], fk_sim_fault_names[j].name) == 0)
				kind = fk_sim_fault_names[j].kind;
		}
		if (kind == FK_SIM_FAULT_NONE || parts[1] == NULL ||
		    !g_ascii_string_to_unsigned(parts[1], 10, 1, G_MAXUINT, &n, NULL) ||
		    (kind == FK_SIM_FAULT_DELAY &&
		     (parts[2] == NULL ||
		      !g_ascii_string_to_unsigned(parts[2], 10, 0, 3600000, &param, NULL))) ||
		    (kind != FK_SIM_FAULT_DELAY && parts[2] != NULL)) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_INVALID_ARGUMENT,
				    "invalid fault '%s' (drop:N, flip:N, delay:N:MS, close:N, "
				    "write-error:N, short-read:N, bad-md5:N, reset:N, baud-wrong:N, stub-baud:N)",
				    item);
			return FALSE;
		}
		fk_sim_device_add_fault(self, kind, (guint)n, (guint)param);
	}
	return TRUE;
}

void
fk_sim_device_clear_faults(FkSimDevice *self)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	g_array_set_size(self->faults, 0);
	g_mutex_unlock(&self->mutex);
}
