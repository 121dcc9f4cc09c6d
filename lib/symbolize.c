// SPDX-License-Identifier: MIT
/*
 * symbolize.c - addresses to function, file and line after the process is
 * gone, with elfutils libdwfl over the MODULE records of a trace.
 *
 * Every module file is reported once to one Dwfl at the load bias the
 * trace recorded (computed from the mapping's start and file offset and
 * the ELF program headers).  A file that is missing or whose build id no
 * longer matches the trace gives frames with module and pc only: a wrong
 * line is worse than none.  Results are cached per pc.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize.h"

#define SYM_MAX_INLINE 16

struct sym_frame {
	const char *function, *file, *module; /* owned by the cache */
	int line;
	bool inlined;
};

struct pc_entry {
	uint64_t pc;	   /* 0 = empty slot */
	uint32_t first, n; /* range in s->frames */
};

/* An address range of one compile unit, for modules without aranges. */
struct cu_range {
	Dwarf_Addr lo, hi; /* [lo, hi) in DWARF addresses (no bias) */
	Dwarf_Off die;	   /* offset of the CU DIE */
};

struct sym_module {
	const struct hbt_module *m;
	Dwfl_Module *mod; /* NULL: no file, or it does not match */
	bool runtime;	  /* libhbtrace*: frames dropped */
	/* CU ranges read from the DIEs, built on the first address
	 * dwfl_module_addrdie() does not find (see module_cu) */
	bool ranges_built;
	struct cu_range *ranges;
	size_t nranges;
};

struct symbolizer {
	struct hbt_reader *r;
	Dwfl *dwfl;
	struct sym_module *mods;
	size_t nmods;

	struct pc_entry *cache;
	uint32_t cache_mask, cache_n;
	struct sym_frame *frames;
	uint32_t nframes, capframes;
	/* interned strings, a simple list (a few thousand at most) */
	char **strs;
	size_t nstrs, capstrs;
};

static char *debuginfo_path;

static const Dwfl_Callbacks sym_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static const char *intern(struct symbolizer *s, const char *str)
{
	char *copy;

	if (!str)
		return NULL;
	/* frames repeat few distinct strings; scan from the newest */
	for (size_t i = s->nstrs; i-- > 0 && i + 64 >= s->nstrs;)
		if (!strcmp(s->strs[i], str))
			return s->strs[i];
	if (s->nstrs == s->capstrs) {
		size_t ncap = s->capstrs ? s->capstrs * 2 : 64;
		char **p = realloc(s->strs, ncap * sizeof(*p));

		if (!p)
			return NULL;
		s->strs = p;
		s->capstrs = ncap;
	}
	copy = strdup(str);
	if (!copy)
		return NULL;
	s->strs[s->nstrs++] = copy;
	return copy;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* Load bias of a mapping: address 'start' shows file offset 'off'. */
static int module_bias(const char *path, uint64_t start, uint64_t off,
		       uint64_t *bias)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;
	GElf_Ehdr eh;
	size_t phnum;
	int ret = -ENOENT;

	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || !gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &phnum)) {
		ret = -ENOEXEC;
		goto out;
	}
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (off + 0xfff < ph.p_offset ||
		    off >= ph.p_offset + ph.p_filesz)
			continue;
		*bias = start - (ph.p_vaddr + off - ph.p_offset);
		if (eh.e_type == ET_EXEC)
			*bias = 0;
		ret = 0;
		break;
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

struct symbolizer *symbolizer_new(struct hbt_reader *r)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	const struct hbt_module *mods;
	size_t n;

	if (!s)
		return NULL;
	s->r = r;
	elf_version(EV_CURRENT);
	hbt_reader_load_definitions(r);
	n = hbt_reader_modules(r, &mods);
	s->mods = calloc(n ? n : 1, sizeof(*s->mods));
	s->dwfl = dwfl_begin(&sym_callbacks);
	if (!s->mods || !s->dwfl) {
		symbolizer_free(s);
		return NULL;
	}
	dwfl_report_begin(s->dwfl);
	for (size_t i = 0; i < n; i++) {
		struct sym_module *sm = &s->mods[s->nmods++];
		const struct hbt_module *m = &mods[i];
		const unsigned char *bid;
		GElf_Addr bid_vaddr;
		uint64_t bias = 0;
		int len;

		sm->m = m;
		sm->runtime = !strncmp(base_name(m->path), "libhbtrace", 10);
		/* the same file mapped twice: reuse its Dwfl module */
		for (size_t j = 0; j + 1 < s->nmods; j++)
			if (!strcmp(s->mods[j].m->path, m->path) &&
			    s->mods[j].mod) {
				sm->mod = s->mods[j].mod;
				break;
			}
		if (sm->mod || m->path[0] != '/')
			continue;
		if (module_bias(m->path, m->start, m->file_offset, &bias))
			continue;
		sm->mod = dwfl_report_elf(s->dwfl, base_name(m->path), m->path,
					  -1, bias, true);
		if (!sm->mod || !m->build_id_len)
			continue;
		len = dwfl_module_build_id(sm->mod, &bid, &bid_vaddr);
		if (len != (int)m->build_id_len ||
		    memcmp(bid, m->build_id, m->build_id_len))
			sm->mod = NULL; /* rebuilt since: do not trust it */
	}
	dwfl_report_end(s->dwfl, NULL, NULL);
	return s;
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	for (size_t i = 0; i < s->nstrs; i++)
		free(s->strs[i]);
	free(s->strs);
	for (size_t i = 0; i < s->nmods; i++)
		free(s->mods[i].ranges);
	free(s->mods);
	free(s->cache);
	free(s->frames);
	free(s);
}

static struct sym_module *module_for(struct symbolizer *s, uint64_t pc)
{
	const struct hbt_module *m = hbt_reader_module_for(s->r, pc);

	if (!m)
		return NULL;
	for (size_t i = 0; i < s->nmods; i++)
		if (s->mods[i].m == m)
			return &s->mods[i];
	return NULL;
}

static int add_frame(struct symbolizer *s, const struct sym_frame *f)
{
	if (s->nframes == s->capframes) {
		uint32_t ncap = s->capframes ? s->capframes * 2 : 256;
		struct sym_frame *p = realloc(s->frames, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->frames = p;
		s->capframes = ncap;
	}
	s->frames[s->nframes++] = *f;
	return 0;
}

static int cu_range_cmp(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Every address range of every CU of the module, sorted by start. */
static void build_cu_ranges(struct sym_module *sm)
{
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(sm->mod, &bias);
	Dwarf_CU *unit = NULL;
	Dwarf_Die cudie;
	size_t cap = 0;

	sm->ranges_built = true;
	if (!dw)
		return;
	while (dwarf_get_units(dw, unit, &unit, NULL, NULL, &cudie, NULL) ==
	       0) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;

		while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0) {
			if (lo >= hi)
				continue;
			if (sm->nranges == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct cu_range *p =
					realloc(sm->ranges, ncap * sizeof(*p));

				if (!p)
					goto out;
				sm->ranges = p;
				cap = ncap;
			}
			sm->ranges[sm->nranges++] = (struct cu_range){
				lo, hi, dwarf_dieoffset(&cudie)};
		}
	}
out:
	qsort(sm->ranges, sm->nranges, sizeof(*sm->ranges), cu_range_cmp);
}

/*
 * The CU DIE containing pc.  dwfl_module_addrdie() finds CUs through
 * .debug_aranges, which clang does not emit by default (and libdw before
 * 0.190 does not rebuild from the DIEs): its binaries then had no file
 * and line at all.  Fall back to the CUs' own DW_AT_ranges/low_pc.
 */
static Dwarf_Die *module_cu(struct sym_module *sm, uint64_t pc, Dwarf_Die *mem,
			    Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(sm->mod, pc, bias);
	Dwarf *dw;
	size_t lo = 0, hi;

	if (cu)
		return cu;
	if (!sm->ranges_built)
		build_cu_ranges(sm);
	dw = dwfl_module_getdwarf(sm->mod, bias);
	if (!dw || !sm->nranges)
		return NULL;
	/* the last range starting at or below the address */
	hi = sm->nranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sm->ranges[mid].lo <= pc - *bias)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || pc - *bias >= sm->ranges[lo - 1].hi)
		return NULL;
	return dwarf_offdie(dw, sm->ranges[lo - 1].die, mem);
}

static const char *src_file(Dwarf_Die *cu, Dwarf_Word idx)
{
	Dwarf_Files *files;
	size_t n;

	if (dwarf_getsrcfiles(cu, &files, &n) || idx >= n)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

/*
 * Symbolize one pc into the frame array: the innermost (possibly inlined)
 * function first, then each function it was inlined into.
 */
/*
 * Is 'ret' (a return address) the kernel's way back from a signal
 * handler: the start of glibc's __restore_rt, "mov $15, %rax; syscall"
 * (rt_sigreturn) on x86-64?  A handler's stack passes through it, and
 * libc's dynamic symbols do not name it, so without this it shows as
 * "??".  Frames below it are what the signal interrupted.  Read from
 * the module's file, since the process is gone.
 */
#if defined(__x86_64__)
static bool is_sigreturn(Dwfl_Module *mod, uint64_t ret)
{
	static const unsigned char restore_rt[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00,
						   0x00, 0x00, 0x0f, 0x05};
	Elf_Scn *scn = NULL;
	GElf_Addr bias = 0;
	Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
	uint64_t a = ret - bias;

	if (!elf || ret < bias)
		return false;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr shdr;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_PROGBITS ||
		    !(shdr.sh_flags & SHF_EXECINSTR) || a < shdr.sh_addr ||
		    a - shdr.sh_addr + sizeof(restore_rt) > shdr.sh_size)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf ||
		    a - shdr.sh_addr + sizeof(restore_rt) > data->d_size)
			return false;
		return memcmp((const char *)data->d_buf + (a - shdr.sh_addr),
			      restore_rt, sizeof(restore_rt)) == 0;
	}
	return false;
}
#endif

static int resolve_pc(struct symbolizer *s, struct sym_module *sm, uint64_t pc)
{
	struct sym_frame f = {0};
	Dwfl_Module *mod = sm ? sm->mod : NULL;
	Dwarf_Die *scopes = NULL;
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu, cu_mem;
	int nscopes = 0, added = 0;

	f.module = sm ? intern(s, sm->m->path) : NULL;
	if (!mod)
		return add_frame(s, &f) ? -ENOMEM : 1;
#if defined(__x86_64__)
	/* 'pc' is a return address less one (lookup_addr) */
	if (is_sigreturn(mod, pc + 1)) {
		f.function = intern(s, "<signal handler called>");
		return add_frame(s, &f) ? -ENOMEM : 1;
	}
#endif

	{
		GElf_Off off;
		GElf_Sym sym;
		const char *name = dwfl_module_addrinfo(mod, pc, &off, &sym,
							NULL, NULL, NULL);

		f.function = intern(s, name);
	}
	cu = module_cu(sm, pc, &cu_mem, &bias);
	{
		Dwfl_Line *line = dwfl_module_getsrc(mod, pc);
		Dwarf_Line *dline;
		int lineno = 0;

		if (line) {
			f.file = intern(s, dwfl_lineinfo(line, NULL, &lineno,
							 NULL, NULL, NULL));
			f.line = lineno;
		} else if (cu && (dline = dwarf_getsrc_die(cu, pc - bias))) {
			/* no aranges: the line table of the CU found above */
			f.file = intern(s, dwarf_linesrc(dline, NULL, NULL));
			if (!dwarf_lineno(dline, &lineno))
				f.line = lineno;
		}
	}
	if (cu)
		nscopes = dwarf_getscopes(cu, pc - bias, &scopes);
	/*
	 * scopes[] runs from the innermost scope out.  Each inlined
	 * subroutine is a frame named after its origin, located at the
	 * line found so far; its DW_AT_call_* give the caller's line.
	 */
	for (int i = 0; i < nscopes && added < SYM_MAX_INLINE; i++) {
		Dwarf_Die *d = &scopes[i];
		int tag = dwarf_tag(d);
		Dwarf_Attribute attr;
		Dwarf_Word v;

		if (tag != DW_TAG_inlined_subroutine &&
		    tag != DW_TAG_subprogram)
			continue;
		{
			const char *name = dwarf_diename(d);

			if (name)
				f.function = intern(s, name);
		}
		if (add_frame(s, &f))
			goto nomem;
		added++;
		if (tag == DW_TAG_subprogram)
			break;
		/* the next frame: the caller, at the call site */
		f.inlined = false;
		s->frames[s->nframes - 1].inlined = true;
		f.function = NULL;
		f.file = NULL;
		f.line = 0;
		if (dwarf_attr(d, DW_AT_call_file, &attr) &&
		    !dwarf_formudata(&attr, &v))
			f.file = intern(s, src_file(cu, v));
		if (dwarf_attr(d, DW_AT_call_line, &attr) &&
		    !dwarf_formudata(&attr, &v))
			f.line = (int)v;
	}
	if (!added) {
		if (add_frame(s, &f))
			goto nomem;
		added = 1;
	} else if (s->frames[s->nframes - 1].inlined) {
		/* ran out of scopes after an inlined one: keep the caller
		 * with the ELF symbol's name */
		GElf_Off off;
		GElf_Sym sym;

		f.function = intern(s, dwfl_module_addrinfo(mod, pc, &off, &sym,
							    NULL, NULL, NULL));
		if (add_frame(s, &f))
			goto nomem;
		added++;
	}
	free(scopes);
	return added;
nomem:
	free(scopes);
	return -ENOMEM;
}

static inline uint32_t pc_hash(uint64_t pc)
{
	pc *= 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(pc >> 32);
}

static int cache_grow(struct symbolizer *s)
{
	uint32_t ncap = s->cache ? (s->cache_mask + 1) * 2 : 1024;
	struct pc_entry *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	if (s->cache) {
		for (uint32_t i = 0; i <= s->cache_mask; i++) {
			uint32_t j;

			if (!s->cache[i].pc)
				continue;
			for (j = pc_hash(s->cache[i].pc) & (ncap - 1); n[j].pc;
			     j = (j + 1) & (ncap - 1))
				;
			n[j] = s->cache[i];
		}
		free(s->cache);
	}
	s->cache = n;
	s->cache_mask = ncap - 1;
	return 0;
}

/* The cached frames of pc (resolved on first use); NULL on ENOMEM. */
static const struct pc_entry *lookup_pc(struct symbolizer *s, uint64_t pc)
{
	struct pc_entry *e;
	uint32_t i, first;
	int n;

	if (!pc)
		pc = 1; /* 0 marks empty slots */
	if ((!s->cache || (s->cache_n + 1) * 4 > (s->cache_mask + 1) * 3) &&
	    cache_grow(s))
		return NULL;
	for (i = pc_hash(pc) & s->cache_mask; s->cache[i].pc;
	     i = (i + 1) & s->cache_mask)
		if (s->cache[i].pc == pc)
			return &s->cache[i];
	first = s->nframes;
	n = resolve_pc(s, module_for(s, pc), pc);
	if (n < 0)
		return NULL;
	e = &s->cache[i];
	e->pc = pc;
	e->first = first;
	e->n = (uint32_t)n;
	s->cache_n++;
	return e;
}

static char *dup_or_null(const char *str)
{
	return str ? strdup(str) : NULL;
}

static void fill_frame(struct finding_frame *out, const struct sym_frame *f,
		       uint64_t pc)
{
	out->function = dup_or_null(f->function);
	out->file = dup_or_null(f->file);
	out->line = f->line;
	out->module = dup_or_null(f->module);
	out->pc = pc;
	out->inlined = f->inlined;
}

int symbolize_pc(struct symbolizer *s, uint64_t pc, struct finding_frame *out,
		 size_t max)
{
	const struct pc_entry *e = lookup_pc(s, pc);
	size_t n = 0;

	if (!e)
		return -ENOMEM;
	for (; n < e->n && n < max; n++)
		fill_frame(&out[n], &s->frames[e->first + n], pc);
	return (int)n;
}

static void fill_pyframe(struct symbolizer *s, struct finding_frame *out,
			 uint32_t id)
{
	const struct hbt_pyframe *pf = hbt_reader_pyframe(s->r, id);

	memset(out, 0, sizeof(*out));
	if (!pf)
		return;
	out->function = dup_or_null(hbt_reader_string(s->r, pf->function));
	out->file = dup_or_null(hbt_reader_string(s->r, pf->file));
	out->line = (int)pf->line;
}

/*
 * Every native pc in a recorded stack is a return address (the runtime
 * drops its own frames before recording), so look up pc - 1: the call
 * instruction, whose line is the one the user wrote.
 */
static inline uint64_t lookup_addr(uint64_t pc)
{
	return pc ? pc - 1 : pc;
}

int symbolize_stack(struct symbolizer *s, uint32_t stack_id,
		    struct finding_step *step)
{
	const struct hbt_stack *st = hbt_reader_stack(s->r, stack_id);
	int added = 0;

	if (!st)
		return 0;
	for (uint32_t i = 0; i < st->nframes; i++) {
		uint64_t f = st->frames[i];
		struct finding_frame *out;

		if (HBT_FRAME_IS_PY(f)) {
			out = finding_step_add_frame(step);
			if (!out)
				return -ENOMEM;
			fill_pyframe(s, out, (uint32_t)HBT_FRAME_PY_ID(f));
			added++;
			continue;
		}
		uint64_t pc = HBT_FRAME_NATIVE_PC(f);
		struct sym_module *sm = module_for(s, pc);

		if (sm && sm->runtime)
			continue;
		const struct pc_entry *e = lookup_pc(s, lookup_addr(pc));

		if (!e)
			return -ENOMEM;
		for (uint32_t k = 0; k < e->n; k++) {
			out = finding_step_add_frame(step);
			if (!out)
				return -ENOMEM;
			fill_frame(out, &s->frames[e->first + k], pc);
			added++;
		}
	}
	return added;
}

/* Size of one object of a kind, for "name[i]" of lock arrays. */
static const uint8_t kind_sizes[HBT_OBJ_KIND_MAX + 1] = {
	[HBT_OBJ_MUTEX] = 40, [HBT_OBJ_RWLOCK] = 56, [HBT_OBJ_SPIN] = 4,
	[HBT_OBJ_COND] = 48,  [HBT_OBJ_SEM] = 32,    [HBT_OBJ_BARRIER] = 32,
};

static uint64_t kind_size(uint8_t kind)
{
	return kind <= HBT_OBJ_KIND_MAX ? kind_sizes[kind] : 0;
}

static Dwarf_Die *peel_type(Dwarf_Die *type, Dwarf_Die *mem)
{
	Dwarf_Attribute attr;

	for (int depth = 0; depth < 16; depth++) {
		int tag = dwarf_tag(type);

		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type && tag != DW_TAG_atomic_type)
			return type;
		if (!dwarf_attr_integrate(type, DW_AT_type, &attr) ||
		    !dwarf_formref_die(&attr, mem))
			return NULL;
		type = mem;
	}
	return NULL;
}

/*
 * Describe byte 'off' inside a value of type 'type' as a C designator
 * suffix ("[3]", ".lock", "[2].lock"), recursing a few levels.
 */
static void describe_offset(Dwarf_Die *type_in, uint64_t off, char *buf,
			    size_t len, int depth)
{
	Dwarf_Die mem, child, etype;
	Dwarf_Die *type = peel_type(type_in, &mem);
	Dwarf_Attribute attr;
	Dwarf_Word esize;
	int tag;

	buf[0] = '\0';
	if (!type || depth > 4)
		goto raw;
	tag = dwarf_tag(type);
	if (tag == DW_TAG_array_type) {
		Dwarf_Die *et;
		Dwarf_Die emem;
		size_t used;

		if (!dwarf_attr_integrate(type, DW_AT_type, &attr) ||
		    !dwarf_formref_die(&attr, &etype))
			goto raw;
		et = peel_type(&etype, &emem);
		if (!et || dwarf_aggregate_size(et, &esize) || !esize)
			goto raw;
		snprintf(buf, len, "[%llu]", (unsigned long long)(off / esize));
		used = strlen(buf);
		if (off % esize)
			describe_offset(et, off % esize, buf + used, len - used,
					depth + 1);
		return;
	}
	if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
		if (dwarf_child(type, &child))
			goto raw;
		do {
			Dwarf_Word loc = 0, msize = 0;
			Dwarf_Die mt;
			const char *name;

			if (dwarf_tag(&child) != DW_TAG_member)
				continue;
			if (dwarf_attr(&child, DW_AT_data_member_location,
				       &attr))
				dwarf_formudata(&attr, &loc);
			if (!dwarf_attr_integrate(&child, DW_AT_type, &attr) ||
			    !dwarf_formref_die(&attr, &mt) ||
			    dwarf_aggregate_size(&mt, &msize))
				continue;
			if (off < loc || off >= loc + msize)
				continue;
			name = dwarf_diename(&child);
			snprintf(buf, len, ".%s", name ? name : "?");
			if (off > loc || depth == 0) {
				size_t used = strlen(buf);

				/* a lock at the start of a member that is
				 * itself a lock stays ".lock" */
				if (off > loc)
					describe_offset(&mt, off - loc,
							buf + used, len - used,
							depth + 1);
			}
			return;
		} while (dwarf_siblingof(&child, &child) == 0);
	}
raw:
	if (off)
		snprintf(buf, len, "+%llu", (unsigned long long)off);
}

/* Find the DWARF variable named 'name' in the CU containing addr. */
static bool find_var_type(Dwfl_Module *mod, uint64_t addr, const char *name,
			  Dwarf_Die *type)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	Dwarf_Die child;
	Dwarf_Attribute attr;

	if (!cu) {
		/* .data/.bss are not in the CU ranges: search every CU */
		Dwarf_Die *c = NULL;

		while ((c = dwfl_module_nextcu(mod, c, &bias))) {
			if (dwarf_child(c, &child))
				continue;
			do {
				const char *n;

				if (dwarf_tag(&child) != DW_TAG_variable)
					continue;
				n = dwarf_diename(&child);
				if (n && !strcmp(n, name) &&
				    dwarf_attr_integrate(&child, DW_AT_type,
							 &attr) &&
				    dwarf_formref_die(&attr, type))
					return true;
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		return false;
	}
	if (dwarf_child(cu, &child))
		return false;
	do {
		const char *n;

		if (dwarf_tag(&child) != DW_TAG_variable)
			continue;
		n = dwarf_diename(&child);
		if (n && !strcmp(n, name) &&
		    dwarf_attr_integrate(&child, DW_AT_type, &attr) &&
		    dwarf_formref_die(&attr, type))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

char *symbolize_data(struct symbolizer *s, uint64_t addr, uint8_t kind)
{
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name;
	char suffix[128] = "";
	char *out;
	Dwarf_Die type;
	uint64_t ksize = kind_size(kind);

	if (!mod)
		return NULL;
	for (size_t i = 0; i < s->nmods; i++)
		if (s->mods[i].mod == mod && s->mods[i].runtime)
			return NULL;
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!name || (sym.st_size && off >= sym.st_size))
		return NULL;
	if (GELF_ST_TYPE(sym.st_info) == STT_FUNC)
		return NULL;
	if (sym.st_size > ksize && find_var_type(mod, addr, name, &type))
		describe_offset(&type, off, suffix, sizeof(suffix), 0);
	else if (ksize && sym.st_size > ksize && off % ksize == 0)
		snprintf(suffix, sizeof(suffix), "[%llu]",
			 (unsigned long long)(off / ksize));
	else if (off)
		snprintf(suffix, sizeof(suffix), "+%llu",
			 (unsigned long long)off);
	if (asprintf(&out, "%s%s", name, suffix) < 0)
		return NULL;
	return out;
}

/* ---- stack variables --------------------------------------------------- */

#define SYM_REG_RBP 6 /* DWARF register numbers, x86-64 */
#define SYM_REG_RSP 7

/*
 * The CFA of the frame whose stack pointer is 'sp' at 'pc' (a return
 * address inside the function, after its prologue), from the module's
 * call frame information; false when it is not "rsp + offset" there (a
 * frame pointer function: rbp's value was not recorded).
 */
static bool frame_cfa(Dwfl_Module *mod, uint64_t pc, uint64_t sp, uint64_t *cfa)
{
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
	Dwarf_Frame *frame = NULL;
	Dwarf_Op *ops;
	size_t nops;
	bool ok = false;

	if (!cfi)
		cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &frame))
		return false;
	if (!dwarf_frame_cfa(frame, &ops, &nops) && nops == 1 &&
	    ops[0].atom == DW_OP_bregx && ops[0].number == SYM_REG_RSP) {
		*cfa = sp + ops[0].number2;
		ok = true;
	}
	free(frame);
	return ok;
}

/* The frame base of subprogram 'fn': its DW_AT_frame_base evaluated for
 * the common encodings (gcc: the CFA; clang: rsp, or rbp = CFA - 16). */
static bool frame_base(Dwarf_Die *fn, uint64_t sp, uint64_t cfa, bool has_cfa,
		       uint64_t *fb)
{
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr_integrate(fn, DW_AT_frame_base, &attr) ||
	    dwarf_getlocation(&attr, &ops, &nops) || nops != 1)
		return false;
	switch (ops[0].atom) {
	case DW_OP_call_frame_cfa:
		*fb = cfa;
		return has_cfa;
	case DW_OP_reg0 + SYM_REG_RSP:
		*fb = sp;
		return true;
	case DW_OP_breg0 + SYM_REG_RSP:
		*fb = sp + (int64_t)ops[0].number;
		return true;
	case DW_OP_reg0 + SYM_REG_RBP:
		/* the standard frame: rbp pushed right below the CFA */
		*fb = cfa - 16;
		return has_cfa;
	}
	return false;
}

/* Where a variable lives in the frame: its first location that is a
 * plain frame-base or rsp offset (a location list may also have them). */
static bool var_address(Dwarf_Die *var, uint64_t sp, uint64_t fb, bool has_fb,
			uint64_t *addr)
{
	Dwarf_Attribute attr;
	Dwarf_Addr base, start, end;
	Dwarf_Op *expr;
	size_t len;
	ptrdiff_t off = 0;

	if (!dwarf_attr_integrate(var, DW_AT_location, &attr))
		return false;
	while ((off = dwarf_getlocations(&attr, off, &base, &start, &end, &expr,
					 &len)) > 0) {
		if (len != 1)
			continue;
		if (expr[0].atom == DW_OP_fbreg && has_fb) {
			*addr = fb + (int64_t)expr[0].number;
			return true;
		}
		if (expr[0].atom == DW_OP_breg0 + SYM_REG_RSP) {
			*addr = sp + (int64_t)expr[0].number;
			return true;
		}
	}
	return false;
}

struct var_search {
	uint64_t addr, sp, fb;
	bool has_fb;
	char *out;
};

/* Search the variables and parameters of a scope and its blocks. */
static void search_vars(Dwarf_Die *scope, struct var_search *vs, int depth)
{
	Dwarf_Die child;

	if (depth > 16 || dwarf_child(scope, &child))
		return;
	do {
		int tag = dwarf_tag(&child);
		Dwarf_Attribute attr;
		Dwarf_Die type;
		Dwarf_Word size;
		uint64_t start;
		const char *name;
		char suffix[128];

		if (tag == DW_TAG_lexical_block ||
		    tag == DW_TAG_inlined_subroutine) {
			search_vars(&child, vs, depth + 1);
		} else if ((tag == DW_TAG_variable ||
			    tag == DW_TAG_formal_parameter) &&
			   (name = dwarf_diename(&child)) &&
			   dwarf_attr_integrate(&child, DW_AT_type, &attr) &&
			   dwarf_formref_die(&attr, &type) &&
			   !dwarf_aggregate_size(&type, &size) &&
			   var_address(&child, vs->sp, vs->fb, vs->has_fb,
				       &start) &&
			   vs->addr >= start && vs->addr < start + size) {
			describe_offset(&type, vs->addr - start, suffix,
					sizeof(suffix), 0);
			if (asprintf(&vs->out, "%s%s", name, suffix) < 0)
				vs->out = NULL;
		}
	} while (!vs->out && dwarf_siblingof(&child, &child) == 0);
}

char *symbolize_stack_var(struct symbolizer *s, uint64_t addr, uint64_t sp,
			  uint32_t stack_id, bool *in_frame)
{
	const struct hbt_stack *st = hbt_reader_stack(s->r, stack_id);
	struct var_search vs = {.addr = addr, .sp = sp};
	struct sym_module *sm;
	Dwarf_Die *cu, cu_mem, *scopes = NULL;
	Dwarf_Addr bias;
	uint64_t pc, cfa = 0;
	bool has_cfa;
	int n;

	*in_frame = false;
	if (!st || !st->nframes || HBT_FRAME_IS_PY(st->frames[0]))
		return NULL;
	pc = HBT_FRAME_NATIVE_PC(st->frames[0]);
	sm = module_for(s, pc);
	if (!sm || !sm->mod || sm->runtime || addr < sp)
		return NULL;
	has_cfa = frame_cfa(sm->mod, pc, sp, &cfa);
	if (has_cfa && addr >= cfa)
		return NULL; /* above this frame: a caller's */
	*in_frame = true;
	/* pc - 1: the call of __tsan_func_entry, inside the function */
	cu = module_cu(sm, pc - 1, &cu_mem, &bias);
	if (!cu)
		return NULL;
	n = dwarf_getscopes(cu, pc - 1 - bias, &scopes);
	for (int i = 0; i < n; i++) {
		if (dwarf_tag(&scopes[i]) != DW_TAG_subprogram)
			continue;
		vs.has_fb = frame_base(&scopes[i], sp, cfa, has_cfa, &vs.fb);
		search_vars(&scopes[i], &vs, 0);
		break;
	}
	free(scopes);
	return vs.out;
}

char *symbolize_site(struct symbolizer *s, uint32_t stack_id)
{
	struct finding_step step = {0};
	const struct finding_frame *pick = NULL;
	char *out = NULL;
	int n = symbolize_stack(s, stack_id, &step);

	/* the innermost frame with a source line, else the innermost */
	for (int i = 0; i < n; i++)
		if (step.frames[i].file && step.frames[i].line) {
			pick = &step.frames[i];
			break;
		}
	if (!pick && n > 0)
		pick = &step.frames[0];
	if (pick) {
		const char *fn = pick->function ? pick->function : "??";
		int ret;

		if (pick->file)
			ret = asprintf(&out, "%s (%s:%d)", fn,
				       base_name(pick->file), pick->line);
		else if (pick->module) {
			const struct hbt_module *m =
				hbt_reader_module_for(s->r, pick->pc);
			uint64_t off = m ? pick->pc - m->start + m->file_offset
					 : pick->pc;

			ret = asprintf(&out, "%s (%s+0x%llx)", fn,
				       base_name(pick->module),
				       (unsigned long long)off);
		} else if (pick->function)
			ret = asprintf(&out, "%s", fn);
		else
			ret = asprintf(&out, "0x%llx",
				       (unsigned long long)pick->pc);
		if (ret < 0)
			out = NULL;
	}
	for (size_t i = 0; i < step.nframes; i++) {
		free(step.frames[i].function);
		free(step.frames[i].file);
		free(step.frames[i].module);
	}
	free(step.frames);
	return out;
}
