/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns fault injection: the armed faults, their counters and the fault spec parser.
 * May call nothing else in the simulator. */
#include "config.h"

#include "fk-error.h"
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
fk_sim_device_fault_counter(FkSimDevice *self, FkSimFaultKind kind)
{
	switch (kind) {
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
	f.base = fk_sim_device_fault_counter(self, kind);
	g_array_append_val(self->faults, f);
	g_mutex_unlock(&self->mutex);
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
		if (item[0] == '\0')
			continue;
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
				    "write-error:N, short-read:N, bad-md5:N, reset:N)",
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
