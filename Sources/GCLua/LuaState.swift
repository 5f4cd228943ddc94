import GCCore
