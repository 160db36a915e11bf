# store/module.mk - extra link flags of the store.
#
# pack_write.c writes git packs itself (zlib); libgit2-dev pulls in zlib1g-dev.
LIBS += -lz
