"""rbdshim's Python support: the native extension behind the `rados` and `rbd` modules."""
